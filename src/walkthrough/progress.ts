import * as vscode from 'vscode';
import { WalkthroughContext } from '../constants';

type Step = keyof typeof WalkthroughContext;
const done = new Set<Step>();

/**
 * Marks a step of the Get Started walkthrough as done, by the context key its
 * `completionEvents` wait for (`onContext:…`): called where the real thing happens (a hover
 * shown, a fix applied, a capture opened), once per session.
 */
export function walkthroughStepDone(step: Step): void {
  if (done.has(step)) return;
  done.add(step);
  void vscode.commands.executeCommand('setContext', WalkthroughContext[step], true);
}
