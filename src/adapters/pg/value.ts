import { VALUE_LIMIT } from '../../core/units.js';

/**
 * A stored value as every read sees it: saturated at ±VALUE_LIMIT, the bound ingest enforces.
 * Rows stored before the bound existed (migration 0007 leaves them) may hold up to ±1.8e308,
 * and PostgreSQL's float8 avg or sum of two of them overflows and fails the whole query (so
 * status, forecasts and digests of the roadmap). Saturated, every aggregate stays finite, min
 * and max still point at the extreme, and NaN or ±Infinity (never accepted, but possible in
 * old rows) read as the bound too; it costs two comparisons a row.
 */
export const VALUE = `least(greatest(value, '${-VALUE_LIMIT}'::float8), '${VALUE_LIMIT}'::float8)`;
