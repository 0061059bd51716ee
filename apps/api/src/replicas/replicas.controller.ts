import { Controller, Get } from '@nestjs/common';
import { ReplicaStatusView, type NodeStatus } from '@app/replica-routing';

@Controller('replicas')
export class ReplicasController {
  constructor(private readonly view: ReplicaStatusView) {}

  /** The status table as this process's router sees it, with the age of each position. */
  @Get()
  list(): { nodes: NodeStatus[] } {
    return { nodes: this.view.list() };
  }
}
