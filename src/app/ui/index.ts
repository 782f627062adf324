/**
 * The app's views: importing this module defines `<beeptrace-app>`; the shell loads each view's
 * module the first time its route shows (`VIEWS` in ./app.ts).
 * @example
 * import { BeepTraceApp } from './ui/index.ts';
 * const app = document.querySelector('beeptrace-app') as BeepTraceApp;
 * app.services = services; app.client = client;
 * @module
 */
export { BeepTraceApp, routeOf, VIEWS, loadView, type Route, type RouteView } from './app.ts';
export { projectStays, niceBelow } from './trail-geometry.ts';
