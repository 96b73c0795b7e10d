#!/usr/bin/env node
// The `cascade` command. Runs the TypeScript sources through tsx's loader, so the same
// files run in development, in tests and in the Docker image without a separate build step.
import { register } from 'tsx/esm/api'
register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
