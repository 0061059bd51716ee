/** The name the primary goes by in `Served-By`, logs and status listings. */
export const PRIMARY_NODE = 'primary';

/** Injection token of the resolved options. */
export const RESOLVED_OPTIONS = Symbol('REPLICA_ROUTING_RESOLVED_OPTIONS');

/** HTTP header that carries a consistency token both ways. */
export const CONSISTENCY_TOKEN_HEADER = 'Consistency-Token';

/** HTTP header that names the node that served a routed request. */
export const SERVED_BY_HEADER = 'Served-By';
