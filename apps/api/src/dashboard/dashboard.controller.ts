import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { Public } from '../auth/public.decorator';
import { DASHBOARD_HTML } from './dashboard.page';
import { DashboardStateService, type DashboardState } from './dashboard.state';

/** uPlot's browser build, from node_modules (read once, served by this API: no CDN). */
const asset = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');

/** The live dashboard. No authentication: it shows routing state and rates, no user data. */
@ApiTags('operations')
@Public()
@Controller('dashboard')
export class DashboardController {
  private readonly script = asset('uPlot.iife.min.js');
  private readonly style = asset('uPlot.min.css');

  constructor(private readonly states: DashboardStateService) {}

  @ApiOperation({ summary: 'Live dashboard (HTML, updates every second)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page', schema: { type: 'string' } })
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return DASHBOARD_HTML;
  }

  @ApiOperation({ summary: "The dashboard's data: node states and cumulative routing counters" })
  @ApiOkResponse({ description: 'Routing state of this process', schema: { type: 'object' } })
  @Get('state')
  @Header('Cache-Control', 'no-store')
  state(): Promise<DashboardState> {
    return this.states.state();
  }

  @ApiOperation({ summary: 'uPlot (the charting library), served locally' })
  @ApiProduces('text/javascript')
  @ApiOkResponse({ description: 'uPlot.iife.min.js', schema: { type: 'string' } })
  @Get('uplot.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  uplotScript(): string {
    return this.script;
  }

  @ApiOperation({ summary: "uPlot's stylesheet" })
  @ApiProduces('text/css')
  @ApiOkResponse({ description: 'uPlot.min.css', schema: { type: 'string' } })
  @Get('uplot.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  uplotStyle(): string {
    return this.style;
  }
}
