// A real OpenID Connect provider for the sign-in tests: panva's certified `oidc-provider`, on a
// loopback port, with one confidential client (the app) and three test accounts.
//
//   node tests/js/oidc_provider.mjs --port=9000 --client-id=monitor --client-secret=s3cret \
//        --redirect-uri=http://127.0.0.1:8501/oauth2callback
//
// (Use the --name=value form: a generated secret may start with "-".)
//
// Prints "READY <issuer>" on stdout once it answers. Test use only: accounts have no passwords, the
// sign-in page asks for an e-mail address and nothing else, and the keys are made at start-up.
//
// The sign-in page supports what Streamlit's st.login asks for: prompt=select_account (Streamlit's
// default; an OIDC prompt value that oidc-provider does not register on its own), PKCE S256, the
// nonce, and RP-initiated logout with id_token_hint (st.logout), which signs out without asking.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import Provider, { interactionPolicy } from "oidc-provider";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "redirect-uri": { type: "string", multiple: true },
  },
});
for (const name of ["port", "client-id", "client-secret", "redirect-uri"]) {
  if (!args[name]) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
}

// The test accounts: the id is the subject, the e-mail is what a person types on the sign-in page.
const ACCOUNTS = {
  alice: { email: "alice@example.com", email_verified: true, name: "Alice Example" },
  bob: { email: "bob@other.example", email_verified: true, name: "Bob Other" },
  carol: { email: "carol@example.com", email_verified: false, name: "Carol Unverified" },
};
const byEmail = (email) =>
  Object.keys(ACCOUNTS).find((id) => ACCOUNTS[id].email === email.trim().toLowerCase());

const issuer = `http://${args.host}:${args.port}`;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-signing-key", use: "sig", alg: "RS256" };

const html = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem}
input,button{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.3rem 0}
.error{color:#b91c1c}</style></head>
<body><h1>${html(title)}</h1>${body}</body></html>`;

const policy = interactionPolicy.base();
// Streamlit asks for prompt=select_account; answering it is picking the account on the same page.
policy.add(new interactionPolicy.Prompt({ name: "select_account", requestable: true }), 0);

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args["client-id"],
      client_secret: args["client-secret"],
      client_name: "DocSpace Backup Monitor (test)",
      redirect_uris: args["redirect-uri"],
      post_logout_redirect_uris: args["redirect-uri"],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Authlib reads who signed in from the ID token, as Google and Entra put it there.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // With id_token_hint (st.logout sends it) sign out straight away, as Keycloak does.
      logoutSource: async (ctx, form) => {
        ctx.body = page("Signing out",
          `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes" id="yes">Sign out</button>
<script>document.getElementById("yes").click()</script>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page("Signed out", "<p>You are signed out.</p>");
      },
    },
  },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party test client: consent is given with the sign-in, as an organisation's own app would.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    if (!ctx.oidc.session.accountId) return undefined;
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
  findAccount: async (ctx, id) =>
    ACCOUNTS[id] && { accountId: id, claims: async () => ({ sub: id, ...ACCOUNTS[id] }) },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = page("Sign-in error", `<p class="error">${html(out.error)}: ${html(out.error_description ?? "")}</p>`);
  },
});
provider.on("server_error", (ctx, err) => console.error("server_error", err));

function signInForm(uid, client, error = "", email = "") {
  return page("Test sign-in", `<p>Sign in to <b>${html(client?.clientName ?? "the app")}</b>.</p>
<form method="post" action="/interaction/${html(uid)}/login">
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="off" autofocus required value="${html(email)}">
${error ? `<p class="error">${html(error)}</p>` : ""}
<button type="submit">Continue</button></form>`);
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const client = await provider.Client.find(details.params.client_id);
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(signInForm(details.uid, client));
    return;
  }
  const email = (await readForm(req)).get("email") ?? "";
  const accountId = byEmail(email);
  if (!accountId) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(signInForm(details.uid, client, "No test account has that address.", email));
    return;
  }
  await provider.interactionFinished(req, res, { select_account: {}, login: { accountId } },
    { mergeWithLastSubmission: false });
}

const handler = provider.callback();
const server = createServer((req, res) => {
  if (req.url.startsWith("/interaction/")) {
    interaction(req, res).catch((err) => {
      res.writeHead(400, { "content-type": "text/html; charset=utf-8" });
      res.end(page("Sign-in error", `<p class="error">${html(err.message)}</p>`));
    });
    return;
  }
  handler(req, res);
});
server.listen(Number(args.port), args.host, () => console.log(`READY ${issuer}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
