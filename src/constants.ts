/** IDs of languages, commands, settings and views: the one place they are spelled. */

export const EXTENSION_ID = 'vma-lens.vma-lens';

export const Languages = {
  maps: 'procmaps',
  smaps: 'procsmaps',
  pmap: 'pmap',
  gdb: 'gdbmaps',
  numa: 'numamaps',
  hsErr: 'hserr',
} as const;
export const DUMP_LANGUAGES: readonly string[] = Object.values(Languages);

export const Commands = {
  analyze: 'vmaLens.analyze',
  pasteFromClipboard: 'vmaLens.pasteFromClipboard',
  captureLocal: 'vmaLens.captureLocal',
  captureSsh: 'vmaLens.captureSsh',
  compareSnapshots: 'vmaLens.compareSnapshots',
  openTimelineForFolder: 'vmaLens.openTimelineForFolder',
  watchProcess: 'vmaLens.watchProcess',
  stopWatch: 'vmaLens.stopWatch',
  /** Internal (status bar item of a running watch): shows its timeline. */
  revealTimeline: 'vmaLens.revealTimeline',
  copyCommand: 'vmaLens.copyCommand',
  openFix: 'vmaLens.openFix',
  /** Internal (quick fixes): merges a fix into a config file of the workspace (with Undo). */
  applyFixToFile: 'vmaLens.applyFixToFile',
  /** Internal (report links): shows a line of a dump. */
  revealLine: 'vmaLens.revealLine',
  openPrometheusTimeline: 'vmaLens.openPrometheusTimeline',
  setPrometheusCredentials: 'vmaLens.setPrometheusCredentials',
  showFleet: 'vmaLens.showFleet',
  /** Walkthrough: the shipped sample dump (argument 'hover' or 'fix' shows one of those). */
  openSample: 'vmaLens.openSample',
  openSamplesTimeline: 'vmaLens.openSamplesTimeline',
} as const;

export const SETTINGS_SECTION = 'vmaLens';
export const Settings = {
  defaultMaxMapCount: 'defaultMaxMapCount',
  warnRatio: 'warningThreshold',
  errorRatio: 'errorThreshold',
  watchInterval: 'watch.intervalSeconds',
  captureFolder: 'watch.captureFolder',
  timelineInterval: 'timeline.sampleIntervalSeconds',
  sshUseSudo: 'ssh.useSudo',
  sshTimeout: 'ssh.timeoutSeconds',
  sshConfigFile: 'ssh.configFile',
  prometheusUrl: 'prometheus.url',
  prometheusSince: 'prometheus.since',
  fleetRefresh: 'fleet.refreshSeconds',
  fleetSshHosts: 'fleet.sshHosts',
} as const;

/** Where each finding and config check is explained (README sections, one anchor per id). */
export const DOCS_URL = 'https://github.com/vma-lens/vma-lens/blob/main/README.md';

export const Views = {
  timelinePanel: 'vmaLens.timeline',
  reportPanel: 'vmaLens.report',
  fleetPanel: 'vmaLens.fleet',
} as const;

/** Task types of the task provider (and of `taskDefinitions` in package.json). */
export const TaskTypes = {
  analyze: 'vma-lens',
} as const;

/** Context keys the steps of the Get Started walkthrough (package.json `walkthroughs`) complete on. */
export const WalkthroughContext = {
  dumpOpened: 'vmaLens.walkthrough.dumpOpened',
  hoverShown: 'vmaLens.walkthrough.hoverShown',
  fixApplied: 'vmaLens.walkthrough.fixApplied',
  captured: 'vmaLens.walkthrough.captured',
} as const;

/** Context keys the extension sets for package.json `when` clauses. */
export const ContextKeys = {
  /** Set by the browser build: no process can be captured or watched from this extension host. */
  noProcesses: 'vmaLens.noProcesses',
} as const;
