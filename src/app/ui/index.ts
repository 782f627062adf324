/**
 * The app's views: importing this module defines `<beeptrace-app>` and every view it shows.
 * @example
 * import { BeepTraceApp } from './ui/index.ts';
 * const app = document.querySelector('beeptrace-app') as BeepTraceApp;
 * app.services = services; app.client = client;
 * @module
 */
export { BeepTraceApp, routeOf, type Route } from './app.ts';
export { projectStays, niceBelow } from './trail-geometry.ts';
