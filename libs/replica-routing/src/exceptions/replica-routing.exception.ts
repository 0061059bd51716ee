/** Base class of every error the library throws on purpose. Transport-neutral: map it to HTTP (or anything else) in one place. */
export class ReplicaRoutingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
