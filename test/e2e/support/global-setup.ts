import { buildIfNeeded } from '../../../scripts/build-if-needed.mjs'

/** The end-to-end tests drive the built app, exactly what `npm run serve` runs. */
export default function globalSetup(): void {
  buildIfNeeded()
}
