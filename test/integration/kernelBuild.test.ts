/**
 * The committed WebAssembly kernel against the toolchain: `src/core/kernelWasm.ts` must be what
 * clang makes of `src/core/kernel.c` now (an integration test: it needs Debian's clang and lld).
 * The kernel's behaviour is tested in test/unit/kernel.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KERNEL_WASM } from '../../src/core/kernelWasm';

// @ts-expect-error: a plain .mjs script, typed by use
import { compileKernel } from '../../scripts/build-wasm.mjs';

describe('kernel', () => {
  it('is built from kernel.c: the committed WebAssembly is what clang makes of it now', () => {
    const fresh = (compileKernel() as Buffer).toString('base64');
    assert.equal(KERNEL_WASM, fresh, 'src/core/kernelWasm.ts is stale: run npm run build:wasm');
  });
});
