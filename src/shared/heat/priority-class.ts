import { z } from 'zod'

// The GL-001 runbook's critical-heat priority levels: which consumers must have heat back first, and
// how soon. Consumers in the site file name their class; heat status, drills and incidents read it.

export const priorityClasses = [
  'life-safety',
  'product-safety',
  'equipment-protection',
  'production',
] as const
export const priorityClassSchema = z.enum(priorityClasses)
export type PriorityClass = z.infer<typeof priorityClassSchema>

/** Runbook "Critical Heat Priority Levels": the latest a consumer of each class must have heat back. */
export const heatRestorationMinutes: Record<PriorityClass, number> = {
  'life-safety': 10,
  'product-safety': 30,
  'equipment-protection': 60,
  production: 240,
}

export const priorityClassNames: Record<PriorityClass, string> = {
  'life-safety': 'life safety',
  'product-safety': 'product safety',
  'equipment-protection': 'equipment protection',
  production: 'production',
}
