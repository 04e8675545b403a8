// The LAPOR! invitation for a hotspot's own landing page: one line there,
//
//   <script src="https://lapor.example.go.id/wifi/popup.js" defer></script>
//
// shows a small dismissible box that invites the visitor to report, with a
// link to the free-WiFi landing page next to this script.  Dismissed, it
// stays away for a day (localStorage of the hotspot's page).  No cookie,
// no request but this file; styles set through the DOM, so a page whose
// CSP forbids inline styles still shows it.
(function () {
    'use strict';

    var KEY = 'lapor.popup.dismissed';
    var DAY = 24 * 60 * 60 * 1000;
    var T = {
        id: { text: 'Ada masalah layanan publik? Laporkan lewat LAPOR!, '
                + 'gratis dan resmi.', go: 'Buat laporan',
              close: 'Tutup undangan LAPOR!', label: 'Undangan LAPOR!' },
        en: { text: 'A problem with a public service? Report it through '
                + 'LAPOR!, free and official.', go: 'Make a report',
              close: 'Close the LAPOR! invitation',
              label: 'LAPOR! invitation' }
    };
    var script = document.currentScript;
    var landing = new URL('./', script ? script.src : location.href).href;

    function dismissedRecently() {
        try {
            var at = Number(localStorage.getItem(KEY));
            return at > 0 && Date.now() - at < DAY;
        } catch (e) {
            return false;
        }
    }

    // the hotspot page's own language first, then the browser's
    function language() {
        var l = document.documentElement.lang
            || (navigator.languages && navigator.languages[0])
            || navigator.language || 'id';
        return /^en\b/i.test(l) ? 'en' : 'id';
    }

    function style(e, s) {
        for (var k in s) {
            e.style[k] = s[k];
        }
        return e;
    }

    function show() {
        if (dismissedRecently() || document.getElementById('lapor-popup')) {
            return;
        }
        var lang = language(), t = T[lang];
        var box = style(document.createElement('aside'), {
            position: 'fixed', left: '8px', right: '8px', bottom: '8px',
            maxWidth: '26rem', margin: '0 auto', zIndex: '2147483647',
            background: '#ffffff', color: '#1a1a1a',
            border: '3px solid #9b1c1c', borderRadius: '8px',
            padding: '12px 44px 12px 12px',
            font: '16px/1.4 system-ui, sans-serif',
            boxShadow: '0 4px 16px rgba(0,0,0,.3)'
        });
        box.id = 'lapor-popup';
        box.lang = lang;
        box.setAttribute('aria-label', t.label);

        var p = style(document.createElement('p'), { margin: '0 0 8px' });
        p.textContent = t.text;

        var a = style(document.createElement('a'), {
            display: 'inline-block', background: '#9b1c1c', color: '#ffffff',
            padding: '8px 14px', borderRadius: '4px', fontWeight: '700',
            textDecoration: 'none'
        });
        a.href = landing;
        a.textContent = t.go;

        var x = style(document.createElement('button'), {
            position: 'absolute', top: '4px', right: '4px', width: '36px',
            height: '36px', border: '0', background: 'transparent',
            color: '#1a1a1a', fontSize: '24px', lineHeight: '1',
            cursor: 'pointer'
        });
        x.type = 'button';
        x.id = 'lapor-popup-close';
        x.textContent = '\u00d7';
        x.setAttribute('aria-label', t.close);
        x.addEventListener('click', function () {
            try {
                localStorage.setItem(KEY, String(Date.now()));
            } catch (e) { /* shown again next time */ }
            box.parentNode.removeChild(box);
        });

        box.appendChild(p);
        box.appendChild(a);
        box.appendChild(x);
        document.body.appendChild(box);
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', show);
    } else {
        show();
    }
}());
