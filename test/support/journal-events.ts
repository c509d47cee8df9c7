import type { JournalEventInput } from '../../src/shared/journal/event'
import { between, pick } from './journal-random'

const types = [
  'alarm.raised',
  'alarm.acknowledged',
  'incident.opened',
  'incident.note-added',
  'control.write-confirmed',
  'source.lost',
  'source.restored',
]
const actors = ['system', 'operator-ana', 'operator-ben']

/**
 * An event such as the console records: a few types and actors, some events in incidents, data
 * with numbers, nesting and text outside ASCII, so canonical JSON has work to do.
 */
export function sampleEvent(random: () => number): JournalEventInput {
  return {
    type: pick(random, types),
    incidentId: random() < 0.6 ? `incident-${between(random, 1, 4)}` : null,
    actor: pick(random, actors),
    data: {
      tag: `plant-00${between(random, 1, 3)}.boiler-${between(random, 1, 2)}.pressure`,
      value: Math.round(random() * 20_000) / 1_000,
      limits: { hh: 15.2, h: 14.5, l: 8, ll: 6 },
      note: random() < 0.3 ? 'Sicherheitsventil geprüft – 16 bar(g) ✓' : null,
      ...(random() < 0.2 ? { drill: true } : {}),
    },
  }
}
