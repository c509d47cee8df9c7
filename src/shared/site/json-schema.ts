import { z } from 'zod'
import { siteSchema } from './schema'

/**
 * The site file's JSON Schema, generated from the same zod schema the console validates with, so
 * editors (VS Code's YAML extension, for one) can check a site file while it is being written.
 * Cross-field rules (a tag's source must exist, ids unique) only the console checks.
 */
export function siteJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://pilot-light.invalid/site-file.schema.json',
    title: 'Pilot Light site file',
    ...z.toJSONSchema(siteSchema, { io: 'input', unrepresentable: 'any' }),
  }
}
