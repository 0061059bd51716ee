/** The name the primary goes by in `Served-By`, logs and status listings. */
export const PRIMARY_NODE = 'primary';

/** HTTP header that carries a consistency token both ways. */
export const CONSISTENCY_TOKEN_HEADER = 'Consistency-Token';

/**
 * Every form of consistency token a process hands out or accepts, as a regular
 * expression source: `[<timeline>:]<X/Y>[.<signature>]` (`3:0/16B3748`,
 * `3:0/16B3748.<22 base64url characters>`, or the older `0/16B3748`). An API
 * documents its header with it, so the schema and the parser cannot disagree.
 */
export const CONSISTENCY_TOKEN_PATTERN =
  '^(?:(\\d{1,10}):)?([0-9A-Fa-f]{1,8}\\/[0-9A-Fa-f]{1,8})(?:\\.([A-Za-z0-9_-]{22}))?$';

/** HTTP header that names the node that served a routed request. */
export const SERVED_BY_HEADER = 'Served-By';
