/**
 * The name of the app's IndexedDB database (keys, stays, ledger, settings), shared by the engine
 * Worker, which opens it, and the page, which only asks whether it exists yet (a first visit).
 * @example indexedDB.databases().then((l) => l.some((d) => d.name === APP_DB))
 * @module
 */

/** The IndexedDB database of the app. @example APP_DB === 'beeptrace' */
export const APP_DB = 'beeptrace';
