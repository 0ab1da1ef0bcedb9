/*
 * Chart.js (served from /vendor, see the Makefile's web-vendor), loaded the
 * first time a page draws a chart: 400 kB the other pages need not.
 */
let chartModule = null;

export async function chartJs() {
    if (!chartModule) {
        chartModule = await import('/vendor/chart.js/chart.js');
        chartModule.Chart.register(...chartModule.registerables);
    }
    return chartModule.Chart;
}
