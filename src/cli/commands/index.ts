/**
 * The list of subcommands. Each module exports `register(program)`, which adds one command
 * (with its own --help) to the program.
 */
import type { Command } from 'commander';
import { register as registerFireflies } from './fireflies.js';
import { register as registerDiag } from './diag.js';
import { register as registerProfile } from './profile.js';
import { register as registerBench } from './bench.js';
import { register as registerDemo } from './demo.js';
import { register as registerPlot } from './plot.js';
import { register as registerAnalyze } from './analyze.js';
import { register as registerCtl } from './ctl.js';
import { register as registerGraph } from './graph.js';
import { register as registerPlan } from './plan.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerFireflies,
  registerDiag,
  registerProfile,
  registerBench,
  registerDemo,
  registerPlot,
  registerAnalyze,
  registerCtl,
  registerGraph,
  registerPlan,
];
