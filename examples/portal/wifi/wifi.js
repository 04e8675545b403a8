// The free-WiFi landing page: a one-screen report (channel "wifi-portal")
// within 20 KB, so it loads on a hotspot before the visitor is online.  Its
// texts are here, one table per language (the full portal's table is too
// large for this page).  Like the full form: an Idempotency-Key per draft,
// the draft kept until the 201, the same bytes sent again after a 5xx or a
// lost connection, problems shown next to their fields.
'use strict';

(function () {
    var T = {
        id: {
            other: 'English', title: 'Laporkan masalah layanan publik',
            lead: 'Gratis dan resmi: laporan diteruskan ke instansi {region}.',
            category: 'Kategori', choose: 'Pilih kategori',
            what: 'Judul singkat', body: 'Ceritakan masalahnya',
            anonymous: 'Anonim (nama tidak ditampilkan)',
            name: 'Nama', contact: 'Nomor HP atau e-mail',
            send: 'Kirim laporan', sending: 'Mengirim…',
            pending: 'Belum terkirim; dikirim ulang otomatis saat koneksi kembali. Laporan tidak akan tercatat dua kali.',
            thanks: 'Laporan diterima', number: 'Nomor laporan:',
            token: 'Kode pelacakan rahasia:',
            keep: 'Simpan nomor dan kode ini sekarang: kode hanya tampil sekali dan tidak dapat dipulihkan oleh siapa pun.',
            full: 'Portal lengkap', track: 'Lacak laporan',
            limited: 'Terlalu banyak laporan dari jaringan ini; coba lagi nanti.',
            error: 'Laporan belum terkirim: {message}'
        },
        en: {
            other: 'Bahasa Indonesia', title: 'Report a public-service problem',
            lead: 'Free and official: reports go to the agencies of {region}.',
            category: 'Category', choose: 'Choose a category',
            what: 'Short title', body: 'Describe the problem',
            anonymous: 'Anonymous (name not shown)',
            name: 'Name', contact: 'Mobile number or e-mail',
            send: 'Send the report', sending: 'Sending…',
            pending: 'Not sent yet; it is sent again by itself when the connection returns. It will never be recorded twice.',
            thanks: 'Report received', number: 'Report number:',
            token: 'Secret tracking code:',
            keep: 'Keep this number and code now: the code is shown only once and nobody can recover it.',
            full: 'Full portal', track: 'Track a report',
            limited: 'Too many reports from this network; try again later.',
            error: 'The report was not sent: {message}'
        }
    };
    var FIELD = { category: 'category', title: 'title', body: 'body',
        'reporter': 'name', 'reporter.name': 'name',
        'reporter.contact': 'contact' };
    var KEY = 'lapor.wifi.draft';
    var API = document.querySelector('meta[name="lapor-api"]').content;
    var lang = 'id', cat = null, draft = null, busy = false, timer = null,
        delay = 2;

    function $(id) { return document.getElementById(id); }

    function store(k, v) {
        try {
            if (v === null) { localStorage.removeItem(k); }
            else { localStorage.setItem(k, v); }
        } catch (e) { /* private mode */ }
    }

    function load(k) {
        try { return localStorage.getItem(k); } catch (e) { return null; }
    }

    function t(k, vars) {
        return T[lang][k].replace(/\{(\w+)\}/g, function (m, v) {
            return vars && vars[v] !== undefined ? vars[v] : m;
        });
    }

    function name(n) { return n ? (n[lang] || n.id) : ''; }

    function texts() {
        var i, e = document.querySelectorAll('[data-t]');
        document.documentElement.lang = lang;
        for (i = 0; i < e.length; i++) {
            e[i].textContent = t(e[i].getAttribute('data-t'));
        }
        $('lang').textContent = t('other');
        $('lang').lang = lang === 'id' ? 'en' : 'id';
        if (cat) {
            $('region').textContent = name(cat.region.name);
            document.querySelector('[data-t=lead]').textContent =
                t('lead', { region: name(cat.region.name) });
            var sel = $('f-category'), v = sel.value;
            sel.textContent = '';
            sel.add(new Option(t('choose'), ''));
            cat.categories.forEach(function (c) {
                sel.add(new Option(name(c.name), c.code));
            });
            sel.value = v;
        }
        document.title = t('title') + ' · LAPOR!';
        if (draft && draft.sent) { status(t('pending')); }
    }

    function status(s) {
        $('status').textContent = s;
        $('status').className = s ? 'note' : '';
    }

    function call(method, path, body, headers) {
        var h = { 'Accept': 'application/json', 'Accept-Language': lang };
        var k;
        if (body) { h['Content-Type'] = 'application/json'; }
        for (k in headers || {}) { h[k] = headers[k]; }
        return fetch(API + path, { method: method, headers: h, body: body,
            credentials: 'omit', referrerPolicy: 'no-referrer'
        }).then(function (r) {
            return r.json().catch(function () { return null; })
                .then(function (d) { return { status: r.status, data: d,
                    retry: Number(r.headers.get('Retry-After')) || 0 }; });
        });
    }

    function clearErrors() {
        var i, e = document.querySelectorAll('.err');
        for (i = 0; i < e.length; i++) { e[i].textContent = ''; }
        e = document.querySelectorAll('[aria-invalid]');
        for (i = 0; i < e.length; i++) { e[i].removeAttribute('aria-invalid'); }
    }

    function problems(p) {
        var first = null;
        clearErrors();
        ((p && p.errors) || []).forEach(function (e) {
            var f = FIELD[e.field], box = $('e-' + (f || 'form'));
            box.textContent = (box.textContent ? box.textContent + '; ' : '')
                + (f ? '' : e.field + ': ') + e.message;
            if (f) {
                $('f-' + f).setAttribute('aria-invalid', 'true');
                first = first || $('f-' + f);
            }
        });
        if (!p || !p.errors || !p.errors.length) {
            $('e-form').textContent = t('error', { message:
                (p && (p.detail || p.title)) || '' });
        }
        if (first) { first.focus(); }
    }

    function lock(on) {
        var i, e = $('f').elements;
        for (i = 0; i < e.length; i++) { e[i].disabled = on; }
    }

    function send() {
        if (busy || !draft || !draft.sent) { return; }
        clearTimeout(timer);
        busy = true;
        lock(true);
        $('submit').textContent = t('sending');
        call('POST', 'reports', draft.sent,
            { 'Idempotency-Key': draft.key }).then(done, function () {
            done(null);
        });
    }

    function done(r) {
        busy = false;
        $('submit').textContent = t('send');
        if (r && r.status === 201 && r.data) {
            draft = null;
            store(KEY, null);
            receipt(r.data);
            return;
        }
        if (!r || r.status >= 500 || r.status === 409) {
            status(t('pending'));
            timer = setTimeout(send, Math.max(r ? r.retry : 0, delay) * 1000);
            delay = Math.min(delay * 2, 30);
            return;
        }
        // refused: nothing stored, the reporter may correct and resend
        draft.sent = null;
        store(KEY, JSON.stringify(draft));
        lock(false);
        status('');
        if (r.status === 429) { $('e-form').textContent = t('limited'); }
        else { problems(r.data); }
    }

    function receipt(d) {
        $('form-view').hidden = true;
        $('r-id').textContent = d.id;
        $('r-token').textContent = d.tracking_token;
        $('receipt').hidden = false;
        $('receipt').focus();
        // the track page opens it from this tab's storage, not the address
        try {
            sessionStorage.setItem('lapor.track', JSON.stringify(
                { id: d.id, token: d.tracking_token }));
        } catch (e) { /* typed in */ }
    }

    function submit(ev) {
        var key = '', i, b = new Uint8Array(16), doc;
        ev.preventDefault();
        if (busy || (draft && draft.sent)) { return; }
        if (!draft) {
            crypto.getRandomValues(b);
            for (i = 0; i < 16; i++) { key += (b[i] + 256).toString(16).slice(1); }
            draft = { key: key };
        }
        doc = { type: cat.types[0].code, category: $('f-category').value,
            title: $('f-title').value, body: $('f-body').value,
            anonymous: $('f-anonymous').checked, channel: 'wifi-portal' };
        if (!doc.anonymous) {
            doc.reporter = { name: $('f-name').value,
                contact: $('f-contact').value };
        }
        draft.sent = JSON.stringify(doc);
        store(KEY, JSON.stringify(draft));
        delay = 2;
        clearErrors();
        send();
    }

    function start() {
        var saved = load('lapor.lang'), langs = navigator.languages
            || [navigator.language || 'id'], i, p;
        if (saved === 'id' || saved === 'en') { lang = saved; }
        else {
            for (i = 0; i < langs.length; i++) {
                p = String(langs[i]).toLowerCase().split('-')[0];
                if (p === 'id' || p === 'in') { break; }
                if (p === 'en') { lang = 'en'; break; }
            }
        }
        try { draft = JSON.parse(load(KEY) || 'null'); } catch (e) { draft = null; }
        texts();
        $('lang').addEventListener('click', function () {
            lang = lang === 'id' ? 'en' : 'id';
            store('lapor.lang', lang);
            texts();
        });
        $('f-anonymous').addEventListener('change', function () {
            $('who').hidden = this.checked;
        });
        $('f').addEventListener('submit', submit);
        window.addEventListener('online', send);
        call('GET', 'catalog').then(function (r) {
            cat = r.data;
            texts();
            if (draft && draft.sent) {
                var d = JSON.parse(draft.sent);
                $('f-category').value = d.category;
                $('f-title').value = d.title;
                $('f-body').value = d.body;
                send();
            }
        }, function () { status(t('pending')); });
    }

    start();
}());
