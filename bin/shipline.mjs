#!/usr/bin/env node
// The shipline CLI: the committed bundle in dist/cli runs the same code as the actions.
await import('../dist/cli/index.js');
