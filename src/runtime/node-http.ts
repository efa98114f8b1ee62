// node:http without its ES module namespace. Importing it as an ES module reads every export,
// and the lazy `WebSocket`/`MessageEvent`/`CloseEvent` getters among them load Node's bundled
// undici (its fetch, WebSocket and web streams), which eddy never uses: 2.3 MiB more V8 heap in
// an otherwise empty process. `process.getBuiltinModule` returns the module object itself.
export const http = process.getBuiltinModule('node:http');
