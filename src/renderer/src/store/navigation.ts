import { create } from 'zustand'

// Where the operator is: the page, and for the plant, unit and trend pages what they show. In a
// store of its own so that any view (an alarm row, a plant panel) can take the operator to a trend
// or a detail page in one click.

export const pageIds = [
  'overview',
  'alarms',
  'incidents',
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
  /** The incident whose workspace the incidents page shows; null for the list of incidents. */
  incidentId: string | null
}

export const useNavigation = create<Navigation>(() => ({
  page: 'overview',
  plantId: null,
  unitId: null,
  trendTagIds: [],
  incidentId: null,
}))

export const openPage = (page: PageId): void => useNavigation.setState({ page })

/** The overview at plant level, or unit level when a unit is given; null plant = every plant. */
export const openPlant = (plantId: string | null, unitId: string | null = null): void =>
  useNavigation.setState({ page: 'overview', plantId, unitId: plantId ? unitId : null })

/** The incidents page: one incident's workspace, or the list of every incident when null. */
export const openIncident = (incidentId: string | null): void =>
  useNavigation.setState({ page: 'incidents', incidentId })

/** The trend page drawing these tags (the trend keeps at most maxTrendTags). */
export const openTrend = (tagIds: readonly string[]): void =>
  useNavigation.setState({
    page: 'trends',
    trendTagIds: [...new Set(tagIds)].slice(0, maxTrendTags),
  })

/** Enough for a unit's every analog tag plus its neighbours; the history query takes up to 100. */
export const maxTrendTags = 20
