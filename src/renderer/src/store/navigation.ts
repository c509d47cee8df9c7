import { create } from 'zustand'

// Where the operator is: the page, and for the plant, unit and trend pages what they show. In a
// store of its own so that any view (an alarm row, a plant panel) can take the operator to a trend
// or a detail page in one click.

export const pageIds = [
  'overview',
  'alarms',
  'trends',
  'connections',
  'journal',
  'sync',
  'drills',
] as const
export type PageId = (typeof pageIds)[number]

export type Navigation = {
  page: PageId
  /** The plant (and unit) the overview shows in detail; null for every plant on one screen. */
  plantId: string | null
  unitId: string | null
  /** The tags the trend page draws. */
  trendTagIds: string[]
}

export const useNavigation = create<Navigation>(() => ({
  page: 'overview',
  plantId: null,
  unitId: null,
  trendTagIds: [],
}))

export const openPage = (page: PageId): void => useNavigation.setState({ page })

/** The overview at plant level, or unit level when a unit is given; null plant = every plant. */
export const openPlant = (plantId: string | null, unitId: string | null = null): void =>
  useNavigation.setState({ page: 'overview', plantId, unitId: plantId ? unitId : null })

/** The trend page drawing these tags (the trend keeps at most maxTrendTags). */
export const openTrend = (tagIds: readonly string[]): void =>
  useNavigation.setState({
    page: 'trends',
    trendTagIds: [...new Set(tagIds)].slice(0, maxTrendTags),
  })

/** Enough for a unit's every analog tag plus its neighbours; the history query takes up to 100. */
export const maxTrendTags = 20
