/**
 * Files bigger than this are refused unread (a roadmap is a page, not a data dump). Apart from
 * load.ts so that reading a file (src/app/registry.ts) does not load the YAML parser, the
 * validators and the condition grammar with it.
 */
export const MAX_ROADMAP_BYTES = 1_000_000;
