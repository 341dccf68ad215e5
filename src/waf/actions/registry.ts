import { accuracy } from './accuracy.js';
import { allow } from './allow.js';
import { auditlog } from './auditlog.js';
import { block } from './block.js';
import { capture } from './capture.js';
import { chain } from './chain.js';
import { ctl } from './ctl.js';
import { deny } from './deny.js';
import { drop } from './drop.js';
import { expirevar } from './expirevar.js';
import { id } from './id.js';
import { initcol } from './initcol.js';
import { log } from './log.js';
import { logdata } from './logdata.js';
import { maturity } from './maturity.js';
import { msg } from './msg.js';
import { multiMatch } from './multimatch.js';
import { noauditlog } from './noauditlog.js';
import { nolog } from './nolog.js';
import { pass } from './pass.js';
import { phase } from './phase.js';
import { redirect } from './redirect.js';
import { rev } from './rev.js';
import { setenv } from './setenv.js';
import { setsid } from './setsid.js';
import { setuid } from './setuid.js';
import { setvar } from './setvar.js';
import { severity } from './severity.js';
import { skip } from './skip.js';
import { skipAfter } from './skipafter.js';
import { status } from './status.js';
import { t } from './t.js';
import { tag } from './tag.js';
import type { ActionDefinition } from './types.js';
import { ver } from './ver.js';
import { xmlns } from './xmlns.js';

/** Every action, keyed by lower-case SecLang name. */
export const ACTIONS: ReadonlyMap<string, ActionDefinition> = new Map<string, ActionDefinition>([
  ['accuracy', accuracy],
  ['allow', allow],
  ['auditlog', auditlog],
  ['block', block],
  ['capture', capture],
  ['chain', chain],
  ['ctl', ctl],
  ['deny', deny],
  ['drop', drop],
  ['expirevar', expirevar],
  ['id', id],
  ['initcol', initcol],
  ['log', log],
  ['logdata', logdata],
  ['maturity', maturity],
  ['msg', msg],
  ['multimatch', multiMatch],
  ['noauditlog', noauditlog],
  ['nolog', nolog],
  ['pass', pass],
  ['phase', phase],
  ['redirect', redirect],
  ['rev', rev],
  ['setenv', setenv],
  ['setsid', setsid],
  ['setuid', setuid],
  ['setvar', setvar],
  ['severity', severity],
  ['skip', skip],
  ['skipafter', skipAfter],
  ['status', status],
  ['t', t],
  ['tag', tag],
  ['ver', ver],
  ['xmlns', xmlns],
]);
