import { join, resolve } from 'node:path'
import { format, parseArgs } from 'node:util'
import { formatFileProblem } from '../../shared/file-problem'
import { startSimulatorFor } from '../../sim'
import { loadScenarioDirectory, type Scenario, type ScenarioRunner } from '../../sim/process'
import { loadSiteFile } from '../site/load'
import { resourcesFolder } from './options'

// `npm run sim -- [--site FILE] [--scenario NAME] [--speed N] [--seed N]`: the plant simulator on
// its own, for trying other OPC UA or Modbus clients against it. It prints its endpoints, then the
// scenario's steps as they happen, and runs until Ctrl+C.

const usage =
  'usage: npm run sim -- [--site FILE] [--scenario NAME] [--speed N] [--seed N] (see README "Simulator")'

type SimOptions = { siteFile: string; scenario: string | null; speed: number; seed: number }

function parseSimOptions(args: string[]): SimOptions {
  const { values } = parseArgs({
    args,
    options: {
      site: { type: 'string' },
      scenario: { type: 'string' },
      speed: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
    },
    strict: true,
  })
  const speed = Number(values.speed)
  if (!(Number.isFinite(speed) && speed > 0 && speed <= 1000)) {
    throw new Error(`--speed must be a number above 0 and at most 1000, not "${values.speed}"`)
  }
  const seed = Number(values.seed)
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
    throw new Error(`--seed must be a whole number from 0 to 4294967295, not "${values.seed}"`)
  }
  return {
    siteFile: values.site ? resolve(values.site) : join(resourcesFolder(), 'demo-site.yaml'),
    scenario: values.scenario ?? null,
    speed,
    seed,
  }
}

async function findScenario(id: string): Promise<Scenario> {
  const loads = await loadScenarioDirectory(join(resourcesFolder(), 'scenarios'))
  const scenarios = loads.flatMap((load) => (load.ok ? [load.scenario] : []))
  const found = scenarios.find((scenario) => scenario.id === id)
  if (found) return found
  const broken = loads.flatMap((load) => (load.ok ? [] : load.problems.map(formatFileProblem)))
  throw new Error(
    [
      `There is no scenario "${id}". Scenarios: ${scenarios.map((scenario) => scenario.id).join(', ')}`,
      ...broken,
    ].join('\n'),
  )
}

/** Prints each step of the scenario once, as the plant's clock reaches it, then the expectations. */
function followScenario(runner: ScenarioRunner): () => boolean {
  let printed = 0
  let reported = false
  return () => {
    for (const entry of runner.log().slice(printed)) {
      const outcome = entry.outcome.ok ? '' : ` (refused: ${entry.outcome.error.message})`
      const verb = entry.action === 'fault' ? 'fault' : 'clear'
      process.stdout.write(`  t+${entry.atSeconds} s  ${verb} ${entry.faultId}${outcome}\n`)
    }
    printed = runner.log().length
    if (runner.done() && !reported) {
      reported = true
      const expectations = runner.expectations()
      const met = expectations.filter((expectation) => expectation.state === 'met').length
      process.stdout.write(
        `Scenario ${runner.scenario.id} finished: ${met} of ${expectations.length} expectations met\n`,
      )
    }
    return reported
  }
}

async function main(): Promise<void> {
  // node-opcua prints notices with console.log; stdout is kept for the endpoints and the scenario.
  const toStderr = (...args: unknown[]): void => void process.stderr.write(`${format(...args)}\n`)
  Object.assign(console, { log: toStderr, info: toStderr })
  const options = parseSimOptions(process.argv.slice(2))
  const loaded = await loadSiteFile(options.siteFile)
  if (!loaded.ok) throw new Error(loaded.problems.map(formatFileProblem).join('\n'))
  if (!loaded.site.sources.some((source) => source.simulated)) {
    throw new Error(
      `${loaded.file}: no source is marked "simulated: true", so there is nothing to serve`,
    )
  }
  const scenario = options.scenario === null ? null : await findScenario(options.scenario)
  const simulator = await startSimulatorFor(loaded.site, {
    seed: options.seed,
    speed: options.speed,
  })
  process.stdout.write(
    `Pilot Light simulator: ${loaded.site.site.name}, seed ${options.seed}, speed ${options.speed}x\n`,
  )
  for (const server of simulator.servers) {
    const plants = server.plants.length > 0 ? `  ${server.plants.join(', ')}` : ''
    process.stdout.write(`  ${server.sourceId}  ${server.endpoint}${plants}\n`)
  }

  let follow: (() => boolean) | null = null
  if (scenario) {
    const started = simulator.plant.startScenario(scenario)
    const runner = simulator.plant.scenario()
    if (!started.ok)
      throw new Error(`The scenario ${scenario.id} did not start: ${started.error.message}`)
    if (!runner) throw new Error(`The scenario ${scenario.id} did not start`)
    process.stdout.write(
      `Scenario ${scenario.id} (${scenario.severity}): ${scenario.title}, ${scenario.durationSeconds} s of plant time\n`,
    )
    follow = followScenario(runner)
  }
  process.stdout.write('Press Ctrl+C to stop.\n')
  const timer = setInterval(() => {
    simulator.plant.catchUp()
    if (follow?.()) follow = null
  }, 500)

  const stop = (): void => {
    clearInterval(timer)
    setTimeout(() => process.exit(1), 5_000).unref()
    void simulator.dispose().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`)
  process.exit(2)
})
