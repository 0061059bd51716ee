import { Module, type DynamicModule } from '@nestjs/common';
import { SimulatorConfig } from './simulator.config';
import { SimulatorService } from './simulator.service';

@Module({})
export class SimulatorModule {
  static forRoot(config: SimulatorConfig): DynamicModule {
    return {
      module: SimulatorModule,
      providers: [{ provide: SimulatorConfig, useValue: config }, SimulatorService],
      exports: [SimulatorService],
    };
  }
}
