// A stateful stand-in for the X API v2 on 127.0.0.1, for the browser journey: koho's
// publisher posts to it, deletes from it and reads the account's timeline back, with
// the request and response shapes of the official API (see ../../../shared/specs/ and
// crates/koho-connect/tests/x.rs, which validates the same shapes against the OpenAPI
// file). It keeps what was posted so the test can assert exactly-once publication.

import http from 'node:http';

export async function startFakeX({ userId = '1500000000000000001', username = 'midori_city' } = {}) {
  const tweets = new Map(); // id -> { id, text, created_at, deleted }
  const requests = [];
  let next = 1900000000000000000n;

  const send = (res, status, body, headers = {}) => {
    const data = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-rate-limit-limit': '100',
      'x-rate-limit-remaining': '99',
      'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 900),
      ...headers,
    });
    res.end(data);
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      requests.push({ method: req.method, path: url.pathname, body: raw });
      if (!/^Bearer \S+/.test(req.headers.authorization || '')) {
        return send(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
      }
      if (req.method === 'POST' && url.pathname === '/2/tweets') {
        let body;
        try { body = JSON.parse(raw); } catch { body = null; }
        if (!body || typeof body.text !== 'string' || body.text.length === 0) {
          return send(res, 400, { errors: [{ message: 'text is required' }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' });
        }
        next += 1n;
        const id = String(next);
        tweets.set(id, { id, text: body.text, created_at: new Date().toISOString(), deleted: false });
        return send(res, 201, { data: { id, text: body.text, edit_history_tweet_ids: [id] } });
      }
      const del = url.pathname.match(/^\/2\/tweets\/(\d+)$/);
      if (req.method === 'DELETE' && del) {
        const t = tweets.get(del[1]);
        if (!t || t.deleted) {
          return send(res, 404, { errors: [{ resource_id: del[1], resource_type: 'tweet', title: 'Not Found Error', type: 'https://api.twitter.com/2/problems/resource-not-found', detail: 'Could not find tweet' }] });
        }
        t.deleted = true;
        return send(res, 200, { data: { deleted: true } });
      }
      if (req.method === 'GET' && url.pathname === `/2/users/${userId}/tweets`) {
        const data = [...tweets.values()].filter((t) => !t.deleted).reverse()
          .map(({ id, text, created_at }) => ({ id, text, created_at, edit_history_tweet_ids: [id] }));
        return send(res, 200, data.length ? { data, meta: { result_count: data.length } } : { meta: { result_count: 0 } });
      }
      if (req.method === 'GET' && url.pathname === '/2/users/me') {
        return send(res, 200, { data: { id: userId, name: 'みどり市', username, description: 'みどり市の公式アカウントです' } });
      }
      return send(res, 404, { title: 'Not Found', type: 'about:blank', status: 404, detail: `no route ${req.method} ${url.pathname}` });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    userId,
    tweets,
    requests,
    live: () => [...tweets.values()].filter((t) => !t.deleted),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
