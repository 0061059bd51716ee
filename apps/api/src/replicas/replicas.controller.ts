import { Controller, Get, Query } from '@nestjs/common';
import { ReplicaStatusView, toLsn, type NodeStatus } from '@app/replica-routing';

@Controller('replicas')
export class ReplicasController {
  constructor(private readonly view: ReplicaStatusView) {}

  /**
   * Every node as this process's router sees it: position and its age, health,
   * and `why_not`, why a read would not go there now. With `?token=0/16B3748`,
   * `why_not` also says whether the node is known to serve a read needing that position.
   */
  @Get()
  list(@Query('token') token?: string): { nodes: NodeStatus[] } {
    return { nodes: this.view.list(token === undefined ? undefined : toLsn(token)) };
  }
}
