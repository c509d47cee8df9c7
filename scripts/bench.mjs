// `npm run bench [-- NAME…]`: runs the benchmarks in bench/ (each a *.bench.mjs exporting `run()`),
// writes bench/results/<name>.json, and prints a summary. Figures go into bench/README.md by hand,
// with the machine they came from.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { buildIfNeeded } from './build-if-needed.mjs'

const root = new URL('..', import.meta.url).pathname
const wanted = process.argv.slice(2)
const names = readdirSync(join(root, 'bench'))
  .filter((file) => file.endsWith('.bench.mjs'))
  .map((file) => file.replace(/\.bench\.mjs$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name))

buildIfNeeded()
mkdirSync(join(root, 'bench', 'results'), { recursive: true })
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
}
for (const name of names) {
  const { run } = await import(pathToFileURL(join(root, 'bench', `${name}.bench.mjs`)).href)
  console.log(`\n== ${name}`)
  const result = await run()
  const record = { name, date: new Date().toISOString(), machine, ...result }
  writeFileSync(
    join(root, 'bench', 'results', `${name}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
  )
  console.log(JSON.stringify(result, null, 2))
}
