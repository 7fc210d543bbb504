// The local OpenID Connect provider of LES Orchestrator (development, demos and tests).
//
//   node provider.mjs CONFIG.json
//
// node-oidc-provider (OpenID Certified) does the protocol: discovery, JWKS, authorization code
// with PKCE, refresh tokens, revocation, the device authorization grant (RFC 8628), and JWT
// access tokens for one resource server (RFC 8707 / RFC 9068) whose `aud` is the configured
// audience. This file only adds what a deployment adds: the users (the demo roster), the
// clients, the signing keys, and a minimal login page. Production uses the carrier's own
// provider instead (docs/identity.md); the passwords here are development passwords.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import process from 'node:process';

import Provider, { errors } from 'oidc-provider';

const CONFIG_KEYS = ['issuer', 'host', 'port', 'audience', 'access_token_ttl_seconds', 'users', 'clients',
  'keys_file'];

function fail(message) {
  process.stderr.write(`oidc provider: ${message}\n`);
  process.exit(2);
}

function readConfig(path) {
  if (!path) fail('usage: node provider.mjs CONFIG.json');
  let config;
  try {
    config = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    fail(`cannot read the configuration ${path}: ${err.message}`);
  }
  const missing = CONFIG_KEYS.filter((key) => config[key] === undefined);
  if (missing.length) fail(`the configuration ${path} lacks ${missing.join(', ')}`);
  if (!Number.isInteger(config.access_token_ttl_seconds) || config.access_token_ttl_seconds < 1) {
    fail('access_token_ttl_seconds must be a whole number of seconds, at least 1');
  }
  for (const user of config.users) {
    if (typeof user.sub !== 'string' || !user.sub || typeof user.password !== 'string' || !user.password) {
      fail('every user needs a sub and a password');
    }
  }
  return config;
}

// Signing keys and cookie keys: made once, kept owner-only, reused on every start so tokens
// issued before a restart still verify.
function loadKeys(path) {
  if (privateFileCheck(path, 'key file')) return JSON.parse(fs.readFileSync(path, 'utf8'));
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const keys = {
    jwks: { keys: [{ ...jwk, kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' }] },
    cookie_keys: [crypto.randomBytes(32).toString('base64url')],
  };
  // O_EXCL: never written through a link or into a file that appeared meanwhile.
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  fs.writeSync(fd, JSON.stringify(keys));
  fs.closeSync(fd);
  return keys;
}

// The provider's state (sessions, grants, refresh tokens, device codes) in one owner-only JSON
// file, so a restart of the provider does not sign everyone out. Written whole on each change
// (a fresh file renamed over the old one); a local stack holds a few dozen entries.
function privateFileCheck(path, what) {
  let stat;
  try {
    stat = fs.lstatSync(path);
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    fail(`cannot read the ${what} ${path}: ${err.message}`);
  }
  if (!stat.isFile()) fail(`the ${what} ${path} is not a plain file (a link?); refusing to use it`);
  if (stat.mode & 0o077) fail(`the ${what} ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); refusing to use it`);
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    fail(`the ${what} ${path} belongs to someone else; refusing to use it`);
  }
  return true;
}

function writePrivate(path, text) {
  const fresh = `${path}.${crypto.randomBytes(6).toString('hex')}.new`;
  const fd = fs.openSync(fresh, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(fresh, path);
}

const now = () => Math.floor(Date.now() / 1000);

function fileAdapter(path) {
  const entries = new Map();
  if (path && privateFileCheck(path, 'state file')) {
    try {
      for (const [key, entry] of Object.entries(JSON.parse(fs.readFileSync(path, 'utf8')))) {
        if (!entry.exp || entry.exp > now()) entries.set(key, entry);
      }
    } catch (err) {
      process.stderr.write(`oidc provider: the state file ${path} is unreadable (${err.message}); starting afresh\n`);
    }
  }
  const save = () => {
    if (!path) return;
    for (const [key, entry] of entries) if (entry.exp && entry.exp <= now()) entries.delete(key);
    writePrivate(path, JSON.stringify(Object.fromEntries(entries)));
  };
  return class FileAdapter {
    constructor(model) { this.model = model; }

    key(id) { return `${this.model}:${id}`; }

    entry(id) {
      const entry = entries.get(this.key(id));
      if (entry && entry.exp && entry.exp <= now()) return undefined;
      return entry;
    }

    scan(field, value) {
      for (const [key, entry] of entries) {
        if (key.startsWith(`${this.model}:`) && entry.payload[field] === value && (!entry.exp || entry.exp > now())) {
          return entry.payload;
        }
      }
      return undefined;
    }

    async upsert(id, payload, expiresIn) {
      entries.set(this.key(id), { payload, exp: expiresIn ? now() + expiresIn : undefined });
      save();
    }

    async find(id) { return this.entry(id)?.payload; }

    async findByUserCode(userCode) { return this.scan('userCode', userCode); }

    async findByUid(uid) { return this.scan('uid', uid); }

    async consume(id) {
      const entry = this.entry(id);
      if (entry) {
        entry.payload.consumed = now();
        save();
      }
    }

    async destroy(id) {
      entries.delete(this.key(id));
      save();
    }

    async revokeByGrantId(grantId) {
      for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
      save();
    }
  };
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:26em;margin:4em auto}label,input,button{display:block;width:100%;margin:.4em 0}
.error{color:#a00}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function loginForm(uid, clientName, error, username = '') {
  return page('LES Orchestrator sign-in', `
<p>Signing in to <b>${escapeHtml(clientName)}</b>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">User name</label><input id="username" name="username" value="${escapeHtml(username)}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>`);
}

async function formBody(req, limit = 16 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Compares digests so the time taken says nothing about the password.
function samePassword(given, expected) {
  const a = crypto.createHash('sha256').update(String(given)).digest();
  const b = crypto.createHash('sha256').update(String(expected)).digest();
  return crypto.timingSafeEqual(a, b);
}

const config = readConfig(process.argv[2]);
const keys = loadKeys(config.keys_file);
const users = new Map(config.users.map((user) => [user.sub, user]));
// RFC 8707 resource indicators are absolute URIs; a plain audience name gets a urn: around it.
const resourceIndicator = URL.parse(config.audience) ? config.audience : `urn:${config.audience}`;
const RESOURCE_SCOPE = 'les';
const firstParty = new Set(config.clients.map((client) => client.client_id));

const provider = new Provider(config.issuer, {
  adapter: fileAdapter(config.store_file),
  clients: config.clients,
  jwks: keys.jwks,
  cookies: { keys: keys.cookie_keys },
  scopes: ['openid', 'profile', 'offline_access', RESOURCE_SCOPE],
  claims: { openid: ['sub'], profile: ['name'] },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user) return undefined;
    return { accountId: sub, async claims() { return { sub, name: user.name ?? sub }; } };
  },
  responseTypes: ['code'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    // RFC 8628; the pages are this file's own (the defaults fetch web fonts from the internet).
    deviceFlow: {
      enabled: true,
      async userCodeInputSource(ctx, form, out, err) {
        const said = err ? '<p class="error">That code is not valid (or has expired); try again.</p>'
          : '<p>Enter the code the command line showed you.</p>';
        ctx.body = page('LES Orchestrator device sign-in', `${said}${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
      },
      async userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
        ctx.body = page('Confirm the sign-in', `
<p>Let <b>${escapeHtml(client.clientName || client.clientId)}</b> act as you?</p>
<p>Continue only if the command line you are using shows the code <code>${escapeHtml(userCode)}</code>.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`);
      },
      async successSource(ctx) {
        ctx.body = page('Signed in', '<p>The command line is signed in; you can close this page.</p>');
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `${form}<p>Sign out of the LES Orchestrator provider?</p>
<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out.</p>');
      },
    },
    // A client revokes only the tokens issued to it (RFC 7009 §2.1).
    revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
    introspection: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resourceIndicator,
      useGrantedResource: () => true,
      async getResourceServerInfo(ctx, indicator) {
        if (indicator !== resourceIndicator) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        return {
          scope: RESOURCE_SCOPE,
          audience: config.audience,
          accessTokenTTL: config.access_token_ttl_seconds,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  // The CLI keeps a refresh token so a person signs in once a shift, not once an hour.
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
    && (code.scopes.has('offline_access') || code.scopes.has(RESOURCE_SCOPE)),
  ttl: {
    AccessToken: config.access_token_ttl_seconds,
    IdToken: config.access_token_ttl_seconds,
    AuthorizationCode: 60,
    DeviceCode: 600,
    Interaction: 600,
    Grant: config.refresh_token_ttl_seconds ?? 12 * 3600,
    RefreshToken: config.refresh_token_ttl_seconds ?? 12 * 3600,
    Session: config.refresh_token_ttl_seconds ?? 12 * 3600,
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in failed', `<p class="error">${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</p>`);
  },
});
provider.proxy = false;

// The login page and the consent step (auto-granted: every configured client is first-party).
async function interaction(req, res) {
  const url = new URL(req.url, config.issuer);
  const match = url.pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/);
  if (!match) return false;
  const send = (status, html) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(html);
  };
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    send(400, page('Sign-in failed', '<p class="error">This sign-in has expired or was not started here; start again from your application.</p>'));
    return true;
  }
  if (details.uid !== match[1]) {
    send(400, page('Sign-in failed', '<p class="error">This sign-in does not belong to this browser; start again.</p>'));
    return true;
  }
  const clientId = details.params.client_id;
  const clientName = (await provider.Client.find(clientId))?.clientName ?? clientId;
  if (details.prompt.name === 'login') {
    if (req.method === 'GET') {
      send(200, loginForm(details.uid, clientName));
      return true;
    }
    if (req.method !== 'POST' || !match[2]) {
      send(405, page('Sign-in failed', '<p class="error">Use the sign-in form.</p>'));
      return true;
    }
    let form;
    try {
      form = await formBody(req);
    } catch {
      send(413, page('Sign-in failed', '<p class="error">The form was too large.</p>'));
      return true;
    }
    const username = form.get('username') ?? '';
    const user = users.get(username);
    const ok = samePassword(form.get('password') ?? '', user ? user.password : crypto.randomUUID());
    if (!user || !ok) {
      send(401, loginForm(details.uid, clientName, 'Wrong user name or password.', username));
      return true;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    return true;
  }
  if (details.prompt.name === 'consent' && firstParty.has(clientId)) {
    const { Grant } = provider;
    const grant = (details.grantId && await Grant.find(details.grantId))
      || new Grant({ accountId: details.session.accountId, clientId });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return true;
  }
  send(400, page('Sign-in failed', `<p class="error">Unexpected step ${escapeHtml(details.prompt.name)}.</p>`));
  return true;
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    if (!(await interaction(req, res))) callback(req, res);
  } catch (err) {
    process.stderr.write(`oidc provider: ${err.message}\n`);
    if (!res.headersSent) {
      res.statusCode = 500;
      res.end('internal error');
    }
  }
});
server.on('error', (err) => fail(`cannot listen on ${config.host}:${config.port}: ${err.message}`));
server.listen(config.port, config.host, () => {
  process.stdout.write(`oidc provider: ${config.issuer} (audience ${config.audience}, ${users.size} users)\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
