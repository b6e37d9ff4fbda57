/** `npm run generate:http-client`: writes clients/http/openapi.json and openapi.d.ts (see http-client-files.ts). */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GENERATED_FILES, httpClientFiles } from './http-client-files';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = await httpClientFiles();
await writeFile(`${root}${GENERATED_FILES.document}`, files.document);
await writeFile(`${root}${GENERATED_FILES.types}`, files.types);
console.log(`wrote ${GENERATED_FILES.document} and ${GENERATED_FILES.types}`);
