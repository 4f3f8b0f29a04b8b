// Builds the console page into dist/app before the tests, so they serve what `pnpm build` ships.
import { buildApp } from "../scripts/build-app.mjs";

export default async function setup() {
  await buildApp();
}
