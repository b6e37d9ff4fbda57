import { defineAllTypesSuite } from '../support/all-types-suite';

defineAllTypesSuite({ seed: 7, suppliers: 150 });
