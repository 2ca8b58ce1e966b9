/**
 * `cascade profile`: a short headless firefly run under V8's CPU profiler; writes a
 * `.cpuprofile` (open it in Chrome DevTools or VS Code) and prints the top functions by self
 * time.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { profileWork, topSelfTime } from '../../observatory/index.js';
import { addFireflyOptions, executeFireflies, type FirefliesFlags } from './fireflies.js';
import { parseNumber } from '../parse.js';
import { checkWritableFile } from '../writable-path.js';

interface ProfileFlags extends FirefliesFlags {
  out: string;
  top: string;
}

/**
 * Add `cascade profile` to the program.
 *
 * @example
 * ```ts
 * register(program); // cascade profile --grid 100x100 --clock virtual --duration 60
 * ```
 */
export function register(program: Command): void {
  addFireflyOptions(
    program
      .command('profile')
      .description(
        'a short headless firefly run under the V8 CPU profiler: writes a .cpuprofile and ' +
          'prints the top functions by self time. On the virtual clock by default: the real ' +
          "clock's profile is mostly idle, waiting for wall time to catch up",
      ),
    // 60 simulated s: at the default 50x50 grid, R passes 0.5 at 47 s, so the profile covers
    // the flies falling into step as well as the start (10 s were a few hundred ms of wall)
    { duration: '60', clock: 'virtual' },
  )
    .option('--out <file>', 'where to write the profile', 'cascade.cpuprofile')
    .option('--top <n>', 'how many functions to list', '15')
    .action(async (flags: ProfileFlags) => {
      const top = parseNumber('--top', flags.top, { integer: true, min: 1 });
      // before the run: a profile that cannot be written would be lost after all of it
      checkWritableFile('--out', flags.out);
      const { profile } = await profileWork(() =>
        executeFireflies({ ...flags, visualize: false }, 'cascade profile'),
      );
      writeFileSync(flags.out, JSON.stringify(profile));
      const rows = topSelfTime(profile, top);
      const lines = [`profile written to ${flags.out}; top ${rows.length} functions by self time:`];
      lines.push('   self ms  self %  function  (location)');
      for (const r of rows) {
        lines.push(
          `${r.selfMs.toFixed(1).padStart(10)} ${r.selfPercent.toFixed(1).padStart(6)}%  ${r.functionName}  (${r.location})`,
        );
      }
      // with --json, stdout is the summary only; the table goes to stderr
      (flags.json === true ? process.stderr : process.stdout).write(`${lines.join('\n')}\n`);
    });
}
