import { AccountError } from '../../idp/accounts.js';
import { listFlag, positionals, repeatedFlag, withStore } from '../../idp/cli/store.js';
import { addClient, type GrantType, rotateClientSecret } from '../../idp/clients.js';
import * as support from '../../store/cli-support.js';
import type { Command } from '../command.js';

const HELP = `Usage: portcullis client <command> [options]

Commands:
  add CLIENT_ID --redirect-uri URI [--redirect-uri URI...] [--grant-types a,b] [--public] [--scope "a b"]
                 register an OAuth client of the built-in provider. Grant types:
                 authorization_code (PKCE S256 always required), refresh_token,
                 client_credentials; default authorization_code,refresh_token. Redirect URIs
                 are matched exactly. A confidential client's secret is printed once and
                 stored only as a keyed hash.
  list           clients with their grant types and redirect URIs
  rotate-secret CLIENT_ID    a new secret (printed once); the old one stops working
  remove CLIENT_ID           delete the client

`;

export const clientCommand: Command = {
  name: 'client',
  summary: 'OAuth clients of the built-in identity provider: add, list, rotate-secret, remove',
  help: HELP + support.TARGET_HELP,
  run(argv, io) {
    return support.reportErrors('client', io, async () => {
      try {
        return await withStore(argv, io, async (store) => {
          const [sub, id] = positionals(argv);
          switch (sub) {
            case 'add': {
              if (!id) throw new support.UsageError('give the client id: portcullis client add CLIENT_ID');
              const grants = listFlag(argv, '--grant-types') as GrantType[] | undefined;
              const scope = support.flag(argv, '--scope');
              const { client, secret } = await addClient(store, {
                clientId: id,
                redirectUris: repeatedFlag(argv, '--redirect-uri'),
                public: argv.includes('--public'),
                ...(grants ? { grantTypes: grants } : {}),
                ...(scope ? { scope } : {}),
              });
              await store.audit.append({ type: 'client.create', actor: 'cli', subject: client.clientId });
              io.stdout(`client ${client.clientId} registered\n`);
              if (secret) io.stdout(`client secret (shown once): ${secret}\n`);
              return 0;
            }
            case 'list':
              for (const c of await store.oauthClients.list({ limit: 1000 })) {
                const m = c.metadata as { grant_types?: string[]; redirect_uris?: string[] };
                io.stdout(
                  `${c.clientId}\t${c.secretHash ? 'confidential' : 'public'}\tgrants=${(m.grant_types ?? []).join(',')}\tredirects=${(m.redirect_uris ?? []).join(' ') || '-'}${c.disabled ? '\tdisabled' : ''}\n`,
                );
              }
              return 0;
            case 'rotate-secret': {
              if (!id) throw new support.UsageError('give the client id');
              const secret = await rotateClientSecret(store, id);
              await store.audit.append({ type: 'client.secret.rotate', actor: 'cli', subject: id });
              io.stdout(`new client secret for ${id} (shown once): ${secret}\n`);
              return 0;
            }
            case 'remove': {
              if (!id) throw new support.UsageError('give the client id');
              if (!(await store.oauthClients.delete(id))) throw new support.UsageError(`no client "${id}"`);
              await store.audit.append({ type: 'client.delete', actor: 'cli', subject: id });
              io.stdout(`client ${id} removed\n`);
              return 0;
            }
            case undefined:
              throw new support.UsageError('give a sub-command: add, list, rotate-secret or remove');
            default:
              throw new support.UsageError(`unknown sub-command "${sub}"; see portcullis client --help`);
          }
        });
      } catch (error) {
        if (error instanceof AccountError) throw new support.UsageError(error.message);
        throw error;
      }
    });
  },
};
