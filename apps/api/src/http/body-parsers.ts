import { json, urlencoded, type ErrorRequestHandler, type Express } from 'express';

/**
 * JSON and form bodies up to `limit`; their errors answered in the API's error
 * shape (malformed JSON 400, too large 413, bad charset 415) instead of
 * Express' HTML page.
 */
export function installBodyParsers(app: Express, limit: string): void {
  app.use(json({ limit }));
  app.use(urlencoded({ extended: false, limit, parameterLimit: 100 }));
  const onError: ErrorRequestHandler = (
    error: { status?: number; type?: string; message?: string },
    _req,
    res,
    next,
  ) => {
    if (!error?.type || !error.status) return next(error);
    const messages: Record<string, string> = {
      'entity.parse.failed': 'malformed request body: not valid JSON',
      'entity.too.large': `request body too large (limit ${limit})`,
      'charset.unsupported': 'unsupported charset',
      'encoding.unsupported': 'unsupported content encoding',
      'parameters.too.many': 'too many form parameters',
    };
    res.status(error.status).json({ error: messages[error.type] ?? 'malformed request body' });
  };
  app.use(onError);
}
