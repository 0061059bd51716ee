import { Controller, Get, Res, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Response } from 'express';
import request from 'supertest';
import { ConsistencyTokens } from '../consistency-tokens.service';
import { setRoutingLogger } from '../logger';
import { pgAdapter } from '../pg/pg.adapter';
import { ReplicaRouter } from '../replica-router.service';
import { ReplicaRoutingModule } from './replica-routing.module';

@Controller()
class ProbeController {
  constructor(private readonly router: ReplicaRouter) {}

  /** The root path: `/*path` in Express 5 does not match it. */
  @Get()
  root() {
    return { scoped: this.router.currentScope() !== undefined };
  }

  /** A handler that sends the response itself: the headers must be on it all the same. */
  @Get('raw')
  raw(@Res() res: Response) {
    res.json({ scoped: this.router.currentScope() !== undefined });
  }
}

describe('ReplicaRoutingModule (HTTP glue, no database)', () => {
  let app: INestApplication;
  let token: string;

  beforeAll(async () => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
    const moduleRef = await Test.createTestingModule({
      imports: [
        ReplicaRoutingModule.forRoot({
          // Nothing listens on port 1: a signed token needs no query, and nothing else asks.
          primary: { url: 'postgres://127.0.0.1:1/x' },
          tokenSecret: 'a-secret-of-16-chars-or-more',
          statusRefreshMs: 0,
          adapter: pgAdapter(),
        }),
      ],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    token = app.get(ConsistencyTokens).format({ tli: 1, lsn: 0x3000148n });
  });

  afterAll(() => app.close());

  it.each(['/', '/raw'])('gives %s a routing scope and the token back', async (path) => {
    const res = await request(app.getHttpServer())
      .get(path)
      .set('Consistency-Token', token)
      .expect(200);
    expect(res.body).toEqual({ scoped: true });
    expect(res.headers['consistency-token']).toBe(token);
  });
});
