'use strict';
// The edgerent pages' script: the rent form makes the key that will sign the rental's payments
// (WebCrypto Ed25519, kept in this browser's IndexedDB, never sent) and keeps beside it what the renter
// agreed to (when, the most per hour, the egress cap); the rental page shows the rental live and signs a
// voucher every minute while it is open, never for more than those terms allow, whatever the hub says.
// Everything else works without it.

const STORE = 'voucher-keys';

function database() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('edgerent', 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function keep(name, value) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(value, name);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
}

async function find(name) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const read = db.transaction(STORE, 'readonly').objectStore(STORE).get(name);
    read.onsuccess = () => resolve(read.result);
    read.onerror = () => reject(read.error);
  });
}

const hex = bytes => Array.from(new Uint8Array(bytes), b => b.toString(16).padStart(2, '0')).join('');

// The bytes a voucher's signature covers, as the hub encodes them (CBOR, shortest form):
// ["edgerent-voucher-v1", channel, amount, sequence, issuedAt].
function cborHead(major, value, out) {
  const n = BigInt(value);
  const type = major << 5;
  const big = (count) => { for (let i = count - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 255n)); };
  if (n < 24n) out.push(type | Number(n));
  else if (n < 0x100n) { out.push(type | 24); big(1); }
  else if (n < 0x10000n) { out.push(type | 25); big(2); }
  else if (n < 0x100000000n) { out.push(type | 26); big(4); }
  else { out.push(type | 27); big(8); }
}

function voucherBytes(channel, amount, sequence, issuedAt) {
  const out = [];
  cborHead(4, 5, out);
  for (const text of ['edgerent-voucher-v1', channel]) {
    const utf8 = new TextEncoder().encode(text);
    cborHead(3, utf8.length, out);
    out.push(...utf8);
  }
  for (const n of [amount, sequence, issuedAt]) cborHead(0, n, out);
  return new Uint8Array(out);
}

async function prepareRentForm(form) {
  const problem = document.getElementById('keyProblem');
  const button = document.getElementById('rentButton');
  const template = form.elements.namedItem('template');
  const passwordRow = document.getElementById('filesPasswordRow');
  const showPassword = () => { passwordRow.hidden = template.value !== 'files'; };
  template.addEventListener('change', showPassword);
  showPassword();
  if (!window.isSecureContext) {
    problem.textContent = 'Renting signs payments in this browser, which browsers allow only over HTTPS: open this page at'
      + ' https://' + location.hostname + ' (the hub\'s HTTPS port), or rent with `edgerent rent`.';
    problem.hidden = false;
    button.disabled = true;
    return;
  }
  try {
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const publicKey = hex(await crypto.subtle.exportKey('raw', pair.publicKey));
    await keep(publicKey, pair.privateKey);
    form.elements.namedItem('voucherKey').value = publicKey;
  } catch (e) {
    problem.textContent = 'This browser cannot make the key that signs your payments (WebCrypto Ed25519: ' + e.message
      + '). Use a current Chromium or Firefox, or rent with `edgerent rent`.';
    problem.hidden = false;
    button.disabled = true;
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const gb = Number(form.elements.namedItem('maxEgressGb').value);
    await keep('terms:' + form.elements.namedItem('voucherKey').value, {
      rentedAt: Date.now(),
      maxPerHour: Number(form.elements.namedItem('maxPrice').value),
      maxEgressBytes: Math.floor(gb * 1e9),
    });
    if (template.value === 'files') {
      const password = document.getElementById('filesPassword').value;
      if (password.length < 12) {
        problem.textContent = 'The file host password needs at least 12 characters.';
        problem.hidden = false;
        return;
      }
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(password));
      form.elements.namedItem('passwordSha256').value = hex(digest);
    }
    button.disabled = true;
    button.textContent = 'Renting…';
    form.submit();
  });
}

function timeLeft(millis) {
  if (millis <= 0) return 'none';
  const minutes = Math.floor(millis / 60000);
  return minutes >= 60 ? Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min' : minutes + ' min';
}

async function followRental(section) {
  const name = section.dataset.rental;
  const csrf = section.dataset.csrf;
  const voucherKey = section.dataset.voucherKey;
  const payment = document.getElementById('payment');
  const say = (text) => { if (payment) payment.textContent = text; };
  let state = section.dataset.state;
  let key;
  if (voucherKey) {
    try {
      key = await find(voucherKey);
    } catch (e) {
      key = undefined;
    }
    if (!key && state !== 'ended') {
      say('Payments: this browser does not hold the key of this rental (it was rented in another browser, or the browser\'s'
        + ' storage was cleared). Open it where you rented it; unpaid, it is suspended, then ended.');
    }
  }

  const show = (s) => {
    const set = (id, text) => { const e = document.getElementById(id); if (e) e.textContent = text; };
    set('state', s.state === 'active' ? (s.paused ? 'suspended (payment stopped)' : 'running') : s.state);
    document.getElementById('preparing').hidden = s.state !== 'preparing';
    document.getElementById('access').hidden = s.state !== 'active';
    document.getElementById('sshCommand').value = s.sshCommand;
    const link = document.getElementById('httpUrl');
    link.href = s.httpUrl;
    link.textContent = s.httpUrl;
    set('timeLeft', s.state === 'preparing' || s.state === 'active' ? timeLeft(s.endsAt - Date.now()) : 'none');
    set('paid', s.paid);
    set('due', s.due);
    set('deposit', s.deposit);
    set('balance', s.deposit - s.paid);
  };

  // What the renter agreed to (kept when renting, in this browser): the payments never promise more than the price
  // for the time since renting, two minutes ahead and 30 s of slack, plus the egress cap, at the agreed price.
  const terms = voucherKey ? await find('terms:' + voucherKey).catch(() => undefined) : undefined;
  const AHEAD_SECONDS = 120n;
  const TOLERANCE_SECONDS = 30n;
  const most = (s, aheadSeconds) => {
    const served = BigInt(Math.max(0, Math.floor((Date.now() - terms.rentedAt) / 1000)));
    return (served + aheadSeconds + TOLERANCE_SECONDS) * BigInt(s.perHour) / 3600n
      + BigInt(terms.maxEgressBytes) * BigInt(s.perGb) / 1000000000n;
  };
  let refused = null;

  const pay = async (s) => {
    if (refused) return s;
    if (!terms) {
      say('Payments: this browser does not hold what you agreed to when renting, so it signs nothing; open the rental'
        + ' where you rented it, or end it.');
      return s;
    }
    if (s.perHour > terms.maxPerHour) {
      refused = 'the hub asks ' + s.perHour + ' per hour, above the ' + terms.maxPerHour + ' you agreed to';
    } else if (s.maxEgress > terms.maxEgressBytes) {
      refused = 'the hub holds an egress cap of ' + s.maxEgress + ' bytes, above the ' + terms.maxEgressBytes + ' you chose';
    } else if (BigInt(s.due) > most(s, 0n)) {
      refused = 'the hub says ' + s.due + ' is due, more than the time since you rented and your egress cap allow ('
        + most(s, 0n) + ')';
    }
    if (refused) {
      say('Payments stopped: ' + refused + '. Nothing more was signed; the rental pauses unpaid. End it below: you pay'
        + ' at most what you signed (' + s.paid + ').');
      return s;
    }
    const ahead = BigInt(s.perHour) * AHEAD_SECONDS / 3600n;
    let wanted = BigInt(s.due) + ahead;
    if (wanted < BigInt(s.paid)) wanted = BigInt(s.paid);
    if (wanted > BigInt(s.deposit)) wanted = BigInt(s.deposit);
    if (wanted > most(s, AHEAD_SECONDS)) wanted = most(s, AHEAD_SECONDS);
    const target = Number(wanted);
    // One voucher a minute: sign again when less than a minute of the two paid ahead is left; the first one at once.
    if (s.seq >= 0 && (target <= s.paid || BigInt(s.paid - s.due) >= ahead / 2n)) return s;
    const sequence = s.seq + 1;
    const issuedAt = Date.now();
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, key, voucherBytes(name, target, sequence, issuedAt));
    const body = new URLSearchParams({ amount: target, seq: sequence, issuedAt: issuedAt, sig: hex(signature) });
    const answer = await fetch('/rentals/' + name + '/voucher', {
      method: 'POST', body: body, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf },
    });
    const next = await answer.json();
    if (!answer.ok) {
      say('Payments: the hub refused one: ' + next.error);
      return s;
    }
    say('Payments: signed in this browser while this page is open; last one ' + target + ' at '
      + new Date(issuedAt).toLocaleTimeString() + '.');
    return next;
  };

  const tick = async () => {
    try {
      const answer = await fetch('/rentals/' + name + '/status', { credentials: 'same-origin', cache: 'no-store' });
      let s = await answer.json();
      if (!answer.ok) throw new Error(s.error || answer.status);
      if (s.state !== state && (s.state === 'ended' || s.state === 'ending')) {
        location.reload();
        return;
      }
      if (s.state === 'ended' && s.wiped && document.getElementById('wipeWaiting')) {
        location.reload();
        return;
      }
      state = s.state;
      if (key && (s.state === 'preparing' || s.state === 'active') && !s.settled) s = await pay(s);
      show(s);
    } catch (e) {
      say('The hub did not answer (' + e.message + '); trying again.');
    }
    setTimeout(tick, state === 'active' ? 10000 : 2000);
  };
  tick();
}

document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('rent');
  if (form) prepareRentForm(form);
  const rental = document.getElementById('rental');
  if (rental) followRental(rental);
  const ssh = document.getElementById('sshCommand');
  if (ssh) ssh.addEventListener('focus', () => ssh.select());
});
