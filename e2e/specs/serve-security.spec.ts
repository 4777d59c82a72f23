import { request as httpRequest } from 'node:http';
import { expect, test } from '../support/fixtures.js';

function status(
  port: number,
  urlPath: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: urlPath, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(port: number, urlPath: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path: urlPath,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        Origin: origin,
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('serve refuses a missing or wrong token and a foreign Origin or Host', async ({ app }) => {
  test.skip(app.host !== 'web', 'serve only: the desktop app has no network listener');
  const { port, token } = app.serve!;
  const own = `http://127.0.0.1:${port}`;

  expect(await status(port, '/')).toBe(401);
  expect(await status(port, '/?token=wrong')).toBe(403);
  expect(await status(port, `/?token=${token}`)).toBe(200);
  expect(await status(port, `/?token=${token}`, { Origin: 'http://evil.example' })).toBe(403);
  expect(await status(port, `/?token=${token}`, { Host: `evil.example:${port}` })).toBe(403);

  expect(await upgrade(port, '/api', own)).toBe(401);
  expect(await upgrade(port, '/api?token=wrong', own)).toBe(403);
  expect(await upgrade(port, `/api?token=${token}`, 'http://evil.example')).toBe(403);
  expect(await upgrade(port, `/api?token=${token}`, own)).toBe(101);

  await test.step('a browser without the token (no cookie either) gets the 401 page', async () => {
    const context = await app.page.context().browser()!.newContext();
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    expect(response?.status()).toBe(401);
    await expect(page.locator('body')).toContainText('access token');
    await context.close();
  });

  await test.step('a page of another origin cannot open the socket, even knowing the token', async () => {
    const page = await app.page.context().newPage();
    await page.goto('about:blank');
    const opened = await page.evaluate(
      (url) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve(true);
          ws.onerror = () => resolve(false);
        }),
      `ws://127.0.0.1:${port}/api?token=${token}`,
    );
    expect(opened).toBe(false);
    await page.close();
  });

  await test.step('the token is taken out of the address bar', async () => {
    await expect.poll(() => app.page.url()).not.toContain('token=');
  });
});
