import { spawnSync } from 'node:child_process'
import { expect, test } from '@playwright/test'
import { demoSiteOnFreePorts, startSimProcess } from './support/console-process'

// `npm run sim` as someone trying another client against the simulator runs it: the built command,
// what it prints, and how it refuses bad options.

test('prints every endpoint, then the scenario steps at the chosen speed', async () => {
  const site = await demoSiteOnFreePorts()
  const sim = await startSimProcess([
    '--site',
    site,
    '--scenario',
    'single-plant-heat-loss',
    '--speed',
    '100',
    '--seed',
    '7',
  ])
  try {
    const printed = sim.stdout()
    expect(printed).toMatch(/^Pilot Light simulator: Demo Works, seed 7, speed 100x$/m)
    expect(printed).toMatch(/^ {2}sim-plc-1 {2}modbus-tcp:\/\/127\.0\.0\.1:\d+ {2}plant-001$/m)
    expect(printed).toMatch(/^ {2}sim-ua-2 {2}opc\.tcp:\/\/127\.0\.0\.1:\d+ {2}plant-002$/m)
    expect(printed).toMatch(/^ {2}sim-ua-3 {2}opc\.tcp:\/\/127\.0\.0\.1:\d+ {2}plant-003$/m)
    expect(printed).toContain('Scenario single-plant-heat-loss (P1): Single plant heat loss')
    // 30 s of plant time at 100x is a third of a second.
    await expect
      .poll(sim.stdout, { timeout: 5000 })
      .toContain('t+30 s  fault plant-001-gas-supply-lost')
  } finally {
    await sim.stop()
  }
})

test('refuses an unknown scenario and a bad speed, saying what is wrong', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['out/main/sim.js', ...args], { encoding: 'utf8', timeout: 30_000 })
  const unknown = run(['--scenario', 'meltdown'])
  expect(unknown.status).toBe(2)
  expect(unknown.stderr).toContain('There is no scenario "meltdown". Scenarios: ')
  expect(unknown.stderr).toContain('multi-plant-cascade')
  const slow = run(['--speed', '0'])
  expect(slow.status).toBe(2)
  expect(slow.stderr).toContain('--speed must be a number above 0 and at most 1000, not "0"')
})
