import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createProcessModel,
  createScenarioRunner,
  loadScenarioDirectory,
  loadScenarioFile,
  parseScenarioText,
  runScenarioToEnd,
  type Scenario,
} from '../../src/sim/process'
import { formatFileProblem } from '../../src/shared/file-problem'

const directory = resolve('resources/scenarios')

const loadAll = async (): Promise<Scenario[]> => {
  const loads = await loadScenarioDirectory(directory)
  return loads.map((load) => {
    if (!load.ok) throw new Error(load.problems.map(formatFileProblem).join('\n'))
    return load.scenario
  })
}

const scenarioNamed = async (id: string): Promise<Scenario> => {
  const scenario = (await loadAll()).find((candidate) => candidate.id === id)
  if (!scenario) throw new Error(`no scenario ${id}`)
  return scenario
}

const valid = `id: test-scenario
title: Test
description: A scenario for tests.
runbook: GL-001 › nowhere
durationSeconds: 120
steps:
  - atSeconds: 10
    fault: { id: gas, kind: fuel-loss, plantId: plant-001 }
  - atSeconds: 60
    clear: gas
severity: P2
`

describe('scenario files', () => {
  it('holds the eight scenarios, each loading cleanly and naming a runbook section', async () => {
    const scenarios = await loadAll()
    expect(scenarios.map((scenario) => scenario.id).sort()).toEqual([
      'boiler-overpressure',
      'combustion-instability',
      'distribution-drift',
      'modbus-link-flap',
      'multi-plant-cascade',
      'plc-restart',
      'single-plant-heat-loss',
      'total-scada-outage',
    ])
    for (const scenario of scenarios) expect(scenario.runbook).toMatch(/^GL-001 › /)
  })

  it('runs every scenario to its end, applying every step and meeting every expectation', async () => {
    for (const scenario of await loadAll()) {
      const model = createProcessModel({ seed: 2024 })
      const runner = createScenarioRunner(model, scenario)
      runScenarioToEnd(runner)
      expect(runner.done(), scenario.id).toBe(true)
      expect(runner.elapsedMs()).toBe(scenario.durationSeconds * 1000)
      expect(
        runner.log().map((entry) => [entry.faultId, entry.outcome]),
        scenario.id,
      ).toEqual(scenario.steps.map((step) => [step.fault?.id ?? step.clear, { ok: true }]))
      for (const expectation of runner.expectations()) {
        expect(expectation.state, `${scenario.id}: ${JSON.stringify(expectation)}`).toBe('met')
      }
      expect(model.activeFaults(), `${scenario.id} leaves no fault behind`).toEqual([])
    }
  })

  it('multi-plant cascade takes heat from three plants in sequence', async () => {
    const scenario = await scenarioNamed('multi-plant-cascade')
    const model = createProcessModel({ seed: 1 })
    const runner = createScenarioRunner(model, scenario)
    const running = () =>
      ['plant-001', 'plant-002', 'plant-003'].map((plantId) =>
        model.read(`${plantId}.boiler-1.running`),
      )
    runner.step(60_000)
    expect(running()).toEqual([false, true, true])
    runner.step(120_000)
    expect(running()).toEqual([false, false, true])
    runner.step(120_000)
    expect(running()).toEqual([false, false, false])
  })

  it('drift passes 20 % deviation at roughly the scripted time (about 7 minutes in)', async () => {
    const scenario = await scenarioNamed('distribution-drift')
    expect(scenario.description).toMatch(/20 %.*about 7 minutes after the drift starts/s)
    const driftStart = scenario.steps[0]?.atSeconds ?? NaN
    const runner = createScenarioRunner(createProcessModel({ seed: 5 }), scenario)
    runScenarioToEnd(runner, 500)
    const crossing = runner.expectations().find((expectation) => expectation.above === 20)
    expect(crossing?.state).toBe('met')
    const minutes = ((crossing?.firstAtSeconds ?? 0) - driftStart) / 60
    expect(Math.abs(minutes - 7)).toBeLessThan(0.5)
  })

  it('protocol scenarios silence the endpoints the servers will obey, for the scripted times', async () => {
    const check = async (id: string, plantId: string, timeline: [number, boolean][]) => {
      const model = createProcessModel({ seed: 1 })
      const runner = createScenarioRunner(model, await scenarioNamed(id))
      for (const [atSeconds, answering] of timeline) {
        runner.step(atSeconds * 1000 - runner.elapsedMs())
        expect(model.endpointStatus(plantId).answering, `${id} ${plantId} at ${atSeconds} s`).toBe(
          answering,
        )
      }
    }
    const outage: [number, boolean][] = [
      [29, true],
      [30, false],
      [929, false],
      [930, true],
    ]
    for (const plantId of ['plant-001', 'plant-002', 'plant-003']) {
      await check('total-scada-outage', plantId, outage)
    }
    await check('plc-restart', 'plant-002', [
      [29, true],
      [30, false],
      [74, false],
      [75, true],
    ])
    await check('plc-restart', 'plant-001', [[40, true]])
    await check('modbus-link-flap', 'plant-001', [
      [29, true],
      [31, false],
      [36, true],
      [41, false],
      [149, true],
      [151, true],
    ])
  })
})

describe('scenario runner', () => {
  it('applies each step exactly at its time, whatever the chunk size', () => {
    const loaded = parseScenarioText(valid.replace('atSeconds: 60', 'atSeconds: 100'), 'test.yaml')
    if (!loaded.ok) throw new Error(loaded.problems.map(formatFileProblem).join('\n'))
    for (const chunk of [7000, 333, 45_000]) {
      const model = createProcessModel({ seed: 1 })
      model.step(5000) // the runner counts from its own start, not the model's
      const runner = createScenarioRunner(model, loaded.scenario)
      // At most ~15 s of chunks reach the fault at 10 s; the clear comes at 100 s.
      for (let index = 0; index < 50 && model.activeFaults().length === 0; index++) {
        runner.step(chunk)
      }
      expect(model.activeFaults()[0]?.appliedAtMs, `chunk ${chunk}`).toBe(15_000)
      runScenarioToEnd(runner, chunk)
      expect(runner.log().map((entry) => entry.atSeconds)).toEqual([10, 100])
      expect(model.activeFaults()).toEqual([])
    }
  })

  it('gives identical values for the same seed and scenario, however the time is chunked', async () => {
    const scenario = await scenarioNamed('boiler-overpressure')
    const run = (chunk: number) => {
      const model = createProcessModel({ seed: 77 })
      runScenarioToEnd(createScenarioRunner(model, scenario), chunk)
      return model.snapshot()
    }
    expect(run(250)).toEqual(run(1000))
  })

  it('reproduces every scenario exactly for a seed, and a different seed changes the noise', async () => {
    const scenarios = await loadAll()
    // Every point, once a minute, over the whole scenario: the trajectory, not just the end state.
    const trajectory = (scenario: Scenario, seed: number) => {
      const model = createProcessModel({ seed })
      const runner = createScenarioRunner(model, scenario)
      const samples: Array<Record<string, number | boolean>> = []
      while (!runner.done()) {
        runner.step(60_000)
        samples.push(model.snapshot())
      }
      return samples
    }
    for (const scenario of scenarios) {
      const first = trajectory(scenario, 9)
      expect(trajectory(scenario, 9), scenario.id).toEqual(first)
      expect(trajectory(scenario, 10), scenario.id).not.toEqual(first)
    }
  })
})

describe('broken scenario files', () => {
  const problemsOf = (text: string, file = '/drills/broken.yaml') => {
    const loaded = parseScenarioText(text, file)
    if (loaded.ok) throw new Error('the broken scenario loaded')
    return loaded.problems
  }

  it('names the file, line and field of a wrong value', () => {
    const problems = problemsOf(
      valid.replace(
        'fault: { id: gas, kind: fuel-loss, plantId: plant-001 }',
        'fault: { id: gas, kind: demand-drop, plantId: plant-001, dropPercent: "lots" }',
      ),
    )
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({
      file: '/drills/broken.yaml',
      line: 8,
      path: 'steps[0].fault.dropPercent',
    })
    const [problem] = problems
    if (!problem) throw new Error('no problem reported')
    expect(formatFileProblem(problem)).toMatch(
      /^\/drills\/broken\.yaml:8:\d+: steps\[0\]\.fault\.dropPercent: /,
    )
  })

  it('names a missing field at its parent, and an unknown fault kind', () => {
    expect(problemsOf(valid.replace('title: Test\n', ''))[0]).toMatchObject({
      line: 1,
      path: 'title',
    })
    expect(problemsOf(valid.replace('kind: fuel-loss', 'kind: fuel-gone'))[0]).toMatchObject({
      line: 8,
      path: 'steps[0].fault.kind',
    })
  })

  it('names plants, boilers and points the site does not have', () => {
    expect(problemsOf(valid.replace('plantId: plant-001', 'plantId: plant-042'))[0]).toMatchObject({
      line: 8,
      path: 'steps[0].fault.plantId',
      message: expect.stringMatching(/plant-042/),
    })
    const stuck = valid.replace(
      'fault: { id: gas, kind: fuel-loss, plantId: plant-001 }',
      'fault: { id: gas, kind: firing-stuck, plantId: plant-001, boilerId: boiler-3 }',
    )
    expect(problemsOf(stuck)[0]).toMatchObject({
      path: 'steps[0].fault.boilerId',
      message: expect.stringMatching(/no boiler "boiler-3"/),
    })
    const expectation = `${valid}expect:\n  - { point: plant-001.boiler-1.presure, above: 1, betweenSeconds: [0, 10] }\n`
    expect(problemsOf(expectation)[0]).toMatchObject({
      line: 13,
      path: 'expect[0].point',
      message: expect.stringMatching(/no point/),
    })
  })

  it('refuses clearing an unknown fault, steps out of order and steps after the end', () => {
    expect(problemsOf(valid.replace('clear: gas', 'clear: steam'))[0]).toMatchObject({
      line: 10,
      path: 'steps[1].clear',
    })
    expect(problemsOf(valid.replace('atSeconds: 60', 'atSeconds: 5'))[0]).toMatchObject({
      path: 'steps[1].atSeconds',
      message: 'steps must be in time order',
    })
    expect(problemsOf(valid.replace('atSeconds: 60', 'atSeconds: 600'))[0]).toMatchObject({
      path: 'steps[1].atSeconds',
      message: expect.stringMatching(/after the scenario ends/),
    })
  })

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf(valid.replace('  - atSeconds: 60', '  - atSeconds: [60'))
    expect(problems[0]?.line).toBeGreaterThanOrEqual(9)
    expect(problems[0]?.file).toBe('/drills/broken.yaml')
  })

  it('loads from disk with the absolute file name in every problem', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pilot-light-scenario-'))
    const file = join(folder, 'broken.yaml')
    writeFileSync(file, valid.replace('durationSeconds: 120', 'durationSeconds: -5'))
    const loaded = await loadScenarioFile(file)
    expect(loaded.ok).toBe(false)
    if (loaded.ok) return
    expect(loaded.problems[0]).toMatchObject({ file, line: 5, path: 'durationSeconds' })
    const missing = await loadScenarioFile(join(folder, 'absent.yaml'))
    expect(missing.ok ? null : missing.problems[0]?.message).toBe(
      'the scenario file does not exist',
    )
  })
})
