// The only module that imports ECharts, and only the parts the site uses (tree-shaken), loaded on
// demand by <Chart>, so pages without charts never download it.
import { BarChart, CandlestickChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, LineChart, CandlestickChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export const echarts = { init };
