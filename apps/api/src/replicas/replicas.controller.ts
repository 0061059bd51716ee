import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorBody, ReplicasBody } from '../http/openapi.schemas';
import { TokenRoute } from '../http/token-headers.decorator';
import { ConsistencyTokens, ReplicaStatusView, type NodeStatus } from '@app/replica-routing';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('replicas')
export class ReplicasController {
  constructor(
    private readonly view: ReplicaStatusView,
    private readonly tokens: ConsistencyTokens,
  ) {}

  /**
   * Every node as this process's router sees it: position and its age, health,
   * and `why_not`, why a read would not go there now. With `?token=0/16B3748`,
   * `why_not` also says whether the node is known to serve a read needing that position.
   */
  @ApiOperation({ summary: "This process's routing picture, node by node" })
  @ApiQuery({
    name: 'token',
    required: false,
    description: "A read's required position: makes `why_not` specific to it",
  })
  @TokenRoute({
    200: { description: 'Every node, the primary first', type: ReplicasBody },
    400: { description: 'Malformed or forged token', type: ErrorBody },
    401: { description: 'Missing or unknown API key', type: ErrorBody },
  })
  @Get()
  list(@Query('token') token?: string | string[]): { nodes: NodeStatus[] } {
    // `?token=a&token=b` parses to an array, which no token is: refused, not read as "no token".
    if (Array.isArray(token)) throw new BadRequestException('token: give one, not several');
    return { nodes: this.view.list(token === undefined ? undefined : this.tokens.toLsn(token)) };
  }
}
