// Builds the browser page (web/) into dist/web/: one JS bundle, one CSS file, index.html.
// esbuild (already a dependency of tsx) bundles TypeScript and CSS in ~0.1 s with no config
// and no plugins; uPlot (~50 KB, no dependencies) draws the live charts. Nothing is fetched
// at run time: the page works offline. `npm run build` (and so `prepare`, at install) runs it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'web', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  outfile: join(out, 'main.js'),
  legalComments: 'eof',
  // the state-frame codec's optional deflate uses node:zlib; the page never asks for
  // compressed frames, so it gets a stub that says so if ever called
  plugins: [
    {
      name: 'no-node-zlib',
      setup(b) {
        b.onResolve({ filter: /^node:zlib$/ }, () => ({ path: 'zlib', namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
          contents:
            "const no = () => { throw new Error('compressed state frames are not supported in the page'); };\n" +
            'export const deflateRawSync = no;\nexport const inflateRawSync = no;\n',
        }));
      },
    },
  ],
  logLevel: 'warning',
});
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
