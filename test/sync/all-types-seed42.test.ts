import { defineAllTypesSuite } from '../support/all-types-suite';

defineAllTypesSuite({ seed: 42, suppliers: 400 });
