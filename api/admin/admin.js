/*
 * Chorus admin page: a sign-in form in front of GraphiQL.
 *
 * Served by the Chorus server itself at /admin, so operators can query the
 * GraphQL API as a signed-in user without installing anything and without
 * the page loading any asset from outside the server (strict CSP).
 *
 * - Plain ES2019, no build step: uses the globals React, ReactDOM and
 *   GraphiQL from the UMD bundles loaded before this file.
 * - The session ({accessToken, refreshToken, user}) lives in sessionStorage,
 *   so it is per tab and gone when the tab closes.
 * - Nothing stays in the browser: GraphiQL's tabs, history, variables and
 *   answers go to sessionStorage under a key per signed-in user (GraphiQL 3
 *   would write them to localStorage, where the next person at the browser
 *   would find a storyteller's name), and every key of the page is wiped at
 *   sign-out and when the session ends (refresh refused).
 * - Every GraphiQL request carries "Authorization: Bearer <accessToken>".
 *   When the server answers with an UNAUTHENTICATED error, the page calls
 *   refreshSession once (refresh tokens rotate: the newest one is always
 *   kept), then retries the request once. If the refresh is refused, the
 *   session is cleared and the sign-in form is shown again.
 * - Tokens are never written to the console.
 */
(function () {
  'use strict';

  var GRAPHQL_URL = '/graphql';
  var SESSION_KEY = 'chorus.admin.session';
  var SESSION_ENDED = 'Your session has ended; please sign in again.';

  var SESSION_FIELDS =
    'accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt user { id email role displayName }';
  var LOGIN_MUTATION =
    'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ' +
    SESSION_FIELDS + ' } }';
  var REFRESH_MUTATION =
    'mutation Refresh($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ' +
    SESSION_FIELDS + ' } }';
  var LOGOUT_MUTATION = 'mutation { logout }';
  var ACCEPT_INVITE_MUTATION =
    'mutation AcceptInvite($token: String!, $password: String!) { acceptInvite(token: $token, password: $password) { email } }';

  var DEFAULT_QUERY = [
    '# Chorus admin: GraphiQL, signed in as you.',
    '# Requests go to /graphql with your access token,',
    '# which is refreshed automatically when it expires.',
    '# The left sidebar holds the docs, the history and the',
    '# explorer (build a query by ticking fields);',
    '# Ctrl+Enter (or the run button) runs the query.',
    '',
    'query {',
    '  me { email role }',
    '  campaigns(first: 10) {',
    '    edges { node { slug name hashtag } }',
    '  }',
    '}',
    ''
  ].join('\n');

  var app = document.getElementById('app');
  var reactRoot = null;

  /* -------------------------------------------------------------- language */

  // The page's own texts in Arabic; the newsroom's are in its modules.
  var ARABIC = {
    'Chorus admin': 'إدارة Chorus',
    'Sign in to the newsroom.': 'سجّل الدخول إلى غرفة الأخبار.',
    'Email': 'البريد الإلكتروني',
    'Password': 'كلمة المرور',
    'Sign in': 'تسجيل الدخول',
    'Signing in\u2026': 'جارٍ تسجيل الدخول\u2026',
    'Please enter your email and password.': 'يرجى إدخال البريد الإلكتروني وكلمة المرور.',
    'Sign-in failed.': 'فشل تسجيل الدخول.',
    'Too many sign-in attempts. Please wait a few minutes, then try again.':
      'محاولات تسجيل دخول كثيرة. يرجى الانتظار بضع دقائق ثم المحاولة مجددًا.',
    'Could not reach the server. Check your connection and try again.':
      'تعذّر الوصول إلى الخادم. تحقّق من الاتصال وحاول مجددًا.',
    'Your session has ended; please sign in again.': 'انتهت جلستك؛ يرجى تسجيل الدخول مجددًا.',
    'Welcome to Chorus': 'مرحبًا بك في Chorus',
    'Choose a password of at least 12 characters. This link works once.':
      'اختر كلمة مرور من 12 حرفًا على الأقل. يعمل هذا الرابط مرة واحدة.',
    'Repeat password': 'أعد كتابة كلمة المرور',
    'Set password': 'تعيين كلمة المرور',
    'The passwords do not match.': 'كلمتا المرور غير متطابقتين.',
    'The password could not be set.': 'تعذّر تعيين كلمة المرور.',
    'Your password is set. Sign in as {email}.': 'عُيّنت كلمة المرور. سجّل الدخول باسم {email}.',
    'Sign out': 'تسجيل الخروج',
    'Newsroom': 'غرفة الأخبار',
    'GraphQL console': 'وحدة GraphQL',
    'Views': 'طرق العرض',
    'Signed in as ': 'مسجّل الدخول باسم ',
    'Interface language': 'لغة الواجهة',
    'Skip to main content': 'انتقل إلى المحتوى الرئيسي',
    'ADMIN': 'مدير',
    'EDITOR': 'محرر',
    'CONTRIBUTOR': 'مساهم'
  };
  var LANGUAGES = [['en', 'English'], ['ar', '\u0627\u0644\u0639\u0631\u0628\u064a\u0629']];
  var LANG_KEY = 'chorus.admin.lang';

  function lang() {
    return document.documentElement.lang === 'ar' ? 'ar' : 'en';
  }

  function tr(text, vars) {
    var out = (lang() === 'ar' && ARABIC[text]) || text;
    return vars ? out.replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? String(vars[k]) : m; }) : out;
  }

  function applyLanguage(code) {
    document.documentElement.lang = code;
    document.documentElement.dir = code === 'ar' ? 'rtl' : 'ltr';
  }

  // What is on screen, so a change of language can draw it again.
  var screen = { name: 'login', message: '' };

  function setLanguage(code) {
    applyLanguage(code);
    try { sessionStorage.setItem(LANG_KEY, code); } catch (_) { /* private mode */ }
    if (screen.name === 'shell') {
      var session = loadSession();
      if (session) showGraphiQL(session, screen.view);
    } else if (screen.name === 'invite') {
      showAcceptInvite(screen.token);
    } else {
      var typed = document.getElementById('login-email');
      showLogin(screen.message, typed ? typed.value : '');
    }
    var again = document.getElementById('ui-language');
    if (again) again.focus();
  }

  // The labelled language switch (top bar, sign-in and invitation pages).
  function languageSelect(extraClass) {
    var select = el('select', { id: 'ui-language', class: 'ui-language-select' });
    LANGUAGES.forEach(function (pair) {
      var option = el('option', { value: pair[0], lang: pair[0], text: pair[1] });
      select.appendChild(option);
    });
    select.value = lang();
    select.addEventListener('change', function () { setLanguage(select.value); });
    return el('span', { class: 'ui-language ' + (extraClass || '') }, [
      el('label', { for: 'ui-language', text: tr('Interface language') }),
      select
    ]);
  }

  /* ---------------------------------------------------------------- session */

  function loadSession() {
    try {
      var s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      if (s && s.accessToken && s.refreshToken && s.user) return s;
    } catch (_) { /* corrupt entry: treat as signed out */ }
    return null;
  }

  function saveSession(payload) {
    var s = {
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      refreshTokenExpiresAt: payload.refreshTokenExpiresAt,
      user: payload.user
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
    watchSessionEnd(s);
    return s;
  }

  // When the refresh token expires the session has ended, even if the page sits
  // idle: wipe it then rather than at the next click.
  var endTimer = null;
  function watchSessionEnd(s) {
    if (endTimer) clearTimeout(endTimer);
    endTimer = null;
    var end = s && s.refreshTokenExpiresAt ? Date.parse(s.refreshTokenExpiresAt) : NaN;
    if (Number.isNaN(end)) return;
    // setTimeout holds at most ~24.8 days; a longer session is checked again then.
    var wait = Math.min(Math.max(end - Date.now(), 0), 0x7fffffff);
    endTimer = setTimeout(function () {
      endTimer = null;
      var current = loadSession();
      if (!current) return;
      if (Date.parse(current.refreshTokenExpiresAt) > Date.now()) { watchSessionEnd(current); return; }
      endSession();
    }, wait);
  }

  function sessionExpired(s) {
    var end = s && s.refreshTokenExpiresAt ? Date.parse(s.refreshTokenExpiresAt) : NaN;
    return !Number.isNaN(end) && end <= Date.now();
  }

  // Every key this page writes starts with this, so sign-out can find them all.
  var KEY_PREFIX = 'chorus.';
  var GRAPHIQL_PREFIX = 'chorus.graphiql.';

  function clearSession() {
    sessionStorage.removeItem(SESSION_KEY);
  }

  // Sign-out, or the session ended: nothing of it may stay in this tab.
  function wipeBrowser() {
    var doomed = [];
    for (var i = 0; i < sessionStorage.length; i++) {
      var key = sessionStorage.key(i);
      if (key && key.indexOf(KEY_PREFIX) === 0) doomed.push(key);
    }
    doomed.forEach(function (key) { sessionStorage.removeItem(key); });
  }

  // A Storage for GraphiQL (its `storage` prop): sessionStorage, one namespace
  // per signed-in user, so one person's tabs never open in another's console.
  function graphiqlStorage(userId) {
    var prefix = GRAPHIQL_PREFIX + userId + ':';
    function keys() {
      var out = [];
      for (var i = 0; i < sessionStorage.length; i++) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(prefix) === 0) out.push(key.slice(prefix.length));
      }
      return out;
    }
    return {
      getItem: function (key) { return sessionStorage.getItem(prefix + key); },
      setItem: function (key, value) { sessionStorage.setItem(prefix + key, value); },
      removeItem: function (key) { sessionStorage.removeItem(prefix + key); },
      key: function (index) { return keys()[index] || null; },
      clear: function () { keys().forEach(function (key) { sessionStorage.removeItem(prefix + key); }); },
      get length() { return keys().length; }
    };
  }

  /* ---------------------------------------------------------------- network */

  // POST a GraphQL request and return the parsed JSON body, whatever the
  // HTTP status; rejects only if the server can't be reached or the body
  // isn't JSON. extraHeaders come from GraphiQL's Headers tab and can't
  // override the content type or the Authorization header.
  function postGraphQL(body, accessToken, extraHeaders) {
    var headers = {};
    Object.keys(extraHeaders || {}).forEach(function (name) {
      if (!/^(authorization|content-type|accept)$/i.test(name)) headers[name] = String(extraHeaders[name]);
    });
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json';
    if (accessToken) headers.authorization = 'Bearer ' + accessToken;
    return fetch(GRAPHQL_URL, {
      method: 'POST',
      headers: headers,
      body: JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (res) {
      return res.json().catch(function () {
        throw new Error('The server sent an unexpected response (HTTP ' + res.status + ').');
      });
    });
  }

  function errorCode(result, code) {
    return Boolean(result && Array.isArray(result.errors) && result.errors.some(function (e) {
      return e && e.extensions && e.extensions.code === code;
    }));
  }

  // One refresh at a time: concurrent requests (e.g. schema introspection and
  // a query) that all hit UNAUTHENTICATED share it, so a rotated refresh token
  // is never presented twice. Resolves to the new session, or null if the
  // server refused the refresh token.
  var refreshing = null;
  function refreshSession(session) {
    if (!refreshing) {
      refreshing = postGraphQL({
        query: REFRESH_MUTATION,
        operationName: 'Refresh',
        variables: { refreshToken: session.refreshToken }
      }).then(function (result) {
        var payload = result && result.data && result.data.refreshSession;
        if (!payload || !payload.accessToken || (result.errors && result.errors.length)) return null;
        return saveSession(payload);
      }).finally(function () {
        refreshing = null;
      });
    }
    return refreshing;
  }

  // Called from inside GraphiQL: leave React's call stack before unmounting it.
  function endSession() {
    clearSession();
    wipeBrowser();
    setTimeout(function () {
      if (views || reactRoot) {
        unmountNewsroom();
        views = null;
        showLogin(tr(SESSION_ENDED));
      }
    }, 0);
    return { errors: [{ message: SESSION_ENDED }] };
  }

  // The fetcher handed to GraphiQL.
  function fetcher(graphQLParams, opts) {
    var userHeaders = (opts && opts.headers) || {};
    var session = loadSession();
    if (!session) return Promise.resolve(endSession());
    return postGraphQL(graphQLParams, session.accessToken, userHeaders).then(function (result) {
      if (!errorCode(result, 'UNAUTHENTICATED')) return result;

      // Another request may already have refreshed while this one was in flight.
      var current = loadSession();
      var renewed = current && current.accessToken !== session.accessToken
        ? Promise.resolve(current)
        : current ? refreshSession(current) : Promise.resolve(null);

      return renewed.then(function (fresh) {
        if (!fresh) return endSession();
        updateUserLabel(fresh.user);
        return postGraphQL(graphQLParams, fresh.accessToken, userHeaders);
      });
    });
  }

  /* -------------------------------------------------------------------- DOM */

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function unmountGraphiQL() {
    if (reactRoot) {
      reactRoot.unmount();
      reactRoot = null;
    }
  }

  /* ------------------------------------------------------------ login form */

  function loginErrorMessage(result) {
    if (errorCode(result, 'RATE_LIMITED')) {
      return tr('Too many sign-in attempts. Please wait a few minutes, then try again.');
    }
    var first = result && result.errors && result.errors[0];
    return (first && first.message) || tr('Sign-in failed.');
  }

  function showLogin(message, typedEmail) {
    unmountGraphiQL();
    app.textContent = '';
    screen = { name: 'login', message: message || '' };

    var email = el('input', {
      id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', dir: 'auto',
      required: '', spellcheck: 'false', autocapitalize: 'off'
    });
    var password = el('input', {
      id: 'login-password', name: 'password', type: 'password',
      autocomplete: 'current-password', required: ''
    });
    if (typedEmail) email.value = typedEmail;
    var submit = el('button', { type: 'submit', text: tr('Sign in') });
    var error = el('p', { id: 'login-error', class: 'login-error', role: 'alert' });

    var form = el('form', { class: 'login-form', 'aria-labelledby': 'login-title', novalidate: '' }, [
      el('h1', { id: 'login-title', text: tr('Chorus admin') }),
      el('p', { class: 'login-intro', text: tr('Sign in to the newsroom.') }),
      el('label', { for: 'login-email', text: tr('Email') }),
      email,
      el('label', { for: 'login-password', text: tr('Password') }),
      password,
      submit,
      error
    ]);

    function setError(text) {
      error.textContent = text || '';
      var invalid = text ? 'true' : 'false';
      email.setAttribute('aria-invalid', invalid);
      password.setAttribute('aria-invalid', invalid);
      if (text) {
        email.setAttribute('aria-describedby', 'login-error');
        password.setAttribute('aria-describedby', 'login-error');
      }
    }

    function setBusy(busy) {
      submit.disabled = busy;
      submit.textContent = busy ? tr('Signing in\u2026') : tr('Sign in');
      form.setAttribute('aria-busy', busy ? 'true' : 'false');
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (!email.value.trim() || !password.value) {
        setError(tr('Please enter your email and password.'));
        (email.value.trim() ? password : email).focus();
        return;
      }
      setError('');
      setBusy(true);
      postGraphQL({
        query: LOGIN_MUTATION,
        operationName: 'Login',
        variables: { email: email.value.trim(), password: password.value }
      }).then(function (result) {
        var payload = result && result.data && result.data.login;
        if (payload && payload.accessToken && !(result.errors && result.errors.length)) {
          showGraphiQL(saveSession(payload));
          return;
        }
        setBusy(false);
        setError(loginErrorMessage(result));
        password.value = '';
        password.focus();
      }, function (err) {
        setBusy(false);
        setError(err && err.message && !(err instanceof TypeError)
          ? err.message
          : tr('Could not reach the server. Check your connection and try again.'));
      });
    });

    app.appendChild(el('main', { class: 'login', id: 'main' }, [languageSelect('ui-language-corner'), form]));
    setError(message || '');
    email.focus();
  }

  /* ---------------------------------------------------- invitation (#invite=) */

  function showAcceptInvite(token) {
    unmountGraphiQL();
    app.textContent = '';
    screen = { name: 'invite', token: token };

    var password = el('input', {
      id: 'invite-password', name: 'password', type: 'password',
      autocomplete: 'new-password', required: '', minlength: '12'
    });
    var again = el('input', {
      id: 'invite-again', name: 'again', type: 'password',
      autocomplete: 'new-password', required: ''
    });
    var submit = el('button', { type: 'submit', text: tr('Set password') });
    var error = el('p', { id: 'invite-error', class: 'login-error', role: 'alert' });
    var form = el('form', { class: 'login-form', 'aria-labelledby': 'invite-title', novalidate: '' }, [
      el('h1', { id: 'invite-title', text: tr('Welcome to Chorus') }),
      el('p', { class: 'login-intro', text: tr('Choose a password of at least 12 characters. This link works once.') }),
      el('label', { for: 'invite-password', text: tr('Password') }),
      password,
      el('label', { for: 'invite-again', text: tr('Repeat password') }),
      again,
      submit,
      error
    ]);

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (password.value !== again.value) {
        error.textContent = tr('The passwords do not match.');
        again.focus();
        return;
      }
      error.textContent = '';
      submit.disabled = true;
      postGraphQL({
        query: ACCEPT_INVITE_MUTATION,
        operationName: 'AcceptInvite',
        variables: { token: token, password: password.value }
      }).then(function (result) {
        var accepted = result && result.data && result.data.acceptInvite;
        if (accepted && !(result.errors && result.errors.length)) {
          showLogin(tr('Your password is set. Sign in as {email}.', { email: accepted.email }));
          return;
        }
        submit.disabled = false;
        var first = result && result.errors && result.errors[0];
        error.textContent = (first && first.message) || tr('The password could not be set.');
      }, function () {
        submit.disabled = false;
        error.textContent = tr('Could not reach the server. Check your connection and try again.');
      });
    });

    app.appendChild(el('main', { class: 'login', id: 'main' }, [languageSelect('ui-language-corner'), form]));
    password.focus();
  }

  /* --------------------------------------------------------------- GraphiQL */

  var userLabel = null;

  function updateUserLabel(user) {
    if (userLabel && user) userLabel.textContent = (user.displayName || user.email) + ' (' + tr(user.role) + ')';
  }

  function signOut() {
    var session = loadSession();
    unmountNewsroom();
    views = null;
    if (endTimer) clearTimeout(endTimer);
    endTimer = null;
    clearSession();
    wipeBrowser();
    showLogin('');
    if (session) {
      postGraphQL({ query: LOGOUT_MUTATION }, session.accessToken).catch(function () { /* ignored */ });
    }
  }

  // The newsroom (newsroom/main.js, a module) reaches the server only through this.
  window.ChorusAdmin = {
    request: function (body, files) {
      return files ? multipart(body, files) : fetcher(body);
    },
    user: function () {
      var s = loadSession();
      return s ? s.user : null;
    },
    signOut: signOut,
    // Switches the interface language ('en' or 'ar') and draws the page again.
    setLanguage: setLanguage
  };

  // A GraphQL multipart request (files: {variablePath: File}), with the same
  // refresh-once rule as fetcher.
  function multipart(body, files) {
    function send(session) {
      var form = new FormData();
      var map = {};
      var vars = JSON.parse(JSON.stringify(body.variables || {}));
      Object.keys(files).forEach(function (path, i) {
        map[String(i)] = ['variables.' + path];
        var parts = path.split('.');
        var at = vars;
        for (var j = 0; j < parts.length - 1; j++) at = at[parts[j]] = at[parts[j]] || {};
        at[parts[parts.length - 1]] = null;
      });
      form.append('operations', JSON.stringify({ query: body.query, operationName: body.operationName, variables: vars }));
      form.append('map', JSON.stringify(map));
      Object.keys(files).forEach(function (path, i) { form.append(String(i), files[path]); });
      return fetch(GRAPHQL_URL, {
        method: 'POST',
        headers: { authorization: 'Bearer ' + session.accessToken, accept: 'application/json' },
        body: form,
        credentials: 'same-origin',
        cache: 'no-store'
      }).then(function (res) {
        return res.json().catch(function () {
          throw new Error('The server sent an unexpected response (HTTP ' + res.status + ').');
        });
      });
    }
    var session = loadSession();
    if (!session) return Promise.resolve(endSession());
    return send(session).then(function (result) {
      if (!errorCode(result, 'UNAUTHENTICATED')) return result;
      return refreshSession(session).then(function (fresh) {
        return fresh ? send(fresh) : endSession();
      });
    });
  }

  var views = null;

  function unmountNewsroom() {
    if (window.ChorusNewsroom) window.ChorusNewsroom.unmount();
  }

  // Shows one of the two views: the newsroom (default) or the GraphQL console.
  function showView(name) {
    if (!views) return;
    var newsroom = name !== 'console';
    screen.view = newsroom ? 'newsroom' : 'console';
    views.newsroomButton.setAttribute('aria-pressed', newsroom ? 'true' : 'false');
    views.consoleButton.setAttribute('aria-pressed', newsroom ? 'false' : 'true');
    views.newsroom.hidden = !newsroom;
    views.console.hidden = newsroom;
    if (!newsroom && !reactRoot) {
      var session = loadSession();
      if (!session) { endSession(); return; }
      // The explorer builds queries by clicking; it sits beside the docs.
      var plugins = typeof GraphiQLPluginExplorer !== 'undefined'
        ? [GraphiQLPluginExplorer.explorerPlugin({ showAttribution: false })]
        : [];
      labelEditors(views.console);
      reactRoot = ReactDOM.createRoot(views.console);
      reactRoot.render(React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultQuery: DEFAULT_QUERY,
        storage: graphiqlStorage(session.user.id),
        shouldPersistHeaders: false,
        plugins: plugins
      }));
    }
  }

  // The first thing a keyboard reaches: straight to the view's content, past the
  // top bar and the newsroom's menu. Not a plain #anchor: the hash is the
  // newsroom's router.
  function skipLink() {
    var link = el('a', { class: 'skip-link', href: '#newsroom-main', text: tr('Skip to main content') });
    link.addEventListener('click', function (event) {
      event.preventDefault();
      var target = views && !views.console.hidden
        ? views.console
        : document.querySelector('#newsroom-main h1') || document.getElementById('newsroom-main');
      if (!target) return;
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus();
    });
    return link;
  }

  // GraphiQL's CodeMirror editors type into unlabelled textareas; name each by
  // the editor it belongs to, for screen readers (and axe).
  var EDITOR_NAMES = [
    ['graphiql-query-editor', 'Query editor'],
    ['graphiql-editor-tool', 'Variables or headers editor'],
    ['graphiql-response', 'Response']
  ];
  function labelEditors(host) {
    function apply() {
      var areas = host.querySelectorAll('textarea:not([aria-label])');
      for (var i = 0; i < areas.length; i++) {
        var name = 'Editor';
        for (var j = 0; j < EDITOR_NAMES.length; j++) {
          if (areas[i].closest('.' + EDITOR_NAMES[j][0])) { name = EDITOR_NAMES[j][1]; break; }
        }
        areas[i].setAttribute('aria-label', name);
      }
    }
    new MutationObserver(apply).observe(host, { childList: true, subtree: true });
  }

  function showGraphiQL(session, view) {
    unmountGraphiQL();
    unmountNewsroom();
    app.textContent = '';
    screen = { name: 'shell', view: view || 'newsroom' };

    userLabel = el('span', { class: 'topbar-user' });
    updateUserLabel(session.user);
    var signOutButton = el('button', { type: 'button', class: 'topbar-signout', text: tr('Sign out') });
    signOutButton.addEventListener('click', signOut);
    var newsroomButton = el('button', { type: 'button', class: 'topbar-view', text: tr('Newsroom') });
    var consoleButton = el('button', { type: 'button', class: 'topbar-view', text: tr('GraphQL console') });
    newsroomButton.addEventListener('click', function () { showView('newsroom'); });
    consoleButton.addEventListener('click', function () { showView('console'); });

    var topbar = el('header', { class: 'topbar' }, [
      el('span', { class: 'topbar-title', text: tr('Chorus admin') }),
      el('nav', { class: 'topbar-views', 'aria-label': tr('Views') }, [newsroomButton, consoleButton]),
      el('span', { class: 'topbar-spacer' }),
      languageSelect('topbar-language'),
      el('span', { class: 'topbar-signed-in', text: tr('Signed in as ') }, [userLabel]),
      signOutButton
    ]);
    var newsroom = el('div', { id: 'newsroom', class: 'newsroom-host' });
    // GraphiQL is code and English: left to right whatever the interface language.
    var console = el('div', { id: 'graphiql', class: 'graphiql-host', role: 'region',
      'aria-label': tr('GraphQL console'), dir: 'ltr', lang: 'en' });
    console.hidden = true;

    app.appendChild(skipLink());
    app.appendChild(topbar);
    app.appendChild(newsroom);
    app.appendChild(console);
    views = { newsroom: newsroom, console: console, newsroomButton: newsroomButton, consoleButton: consoleButton };
    if (window.ChorusNewsroom) window.ChorusNewsroom.mount(newsroom);
    showView(screen.view);
  }

  /* ------------------------------------------------------------------ start */

  if (typeof React === 'undefined' || typeof ReactDOM === 'undefined' || typeof GraphiQL === 'undefined') {
    app.textContent = '';
    app.appendChild(el('p', { class: 'admin-noscript', role: 'alert',
      text: 'The admin page could not load its scripts. Please reload the page.' }));
    return;
  }

  var savedLanguage = null;
  try { savedLanguage = sessionStorage.getItem(LANG_KEY); } catch (_) { /* private mode */ }
  applyLanguage(savedLanguage === 'ar' ? 'ar' : 'en');

  // An invitation link opened in a tab that already shows the page changes only
  // the hash: the browser now belongs to the invited person.
  window.addEventListener('hashchange', function () {
    var link = /^#invite=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
    if (!link) return;
    history.replaceState(null, '', window.location.pathname);
    if (loadSession()) signOut();
    showAcceptInvite(link[1]);
  });

  var invite = /^#invite=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  var existing = loadSession();
  if (existing && sessionExpired(existing)) {
    clearSession();
    wipeBrowser();
    existing = null;
  }
  if (existing) watchSessionEnd(existing);
  if (invite) {
    // Out of the address bar (and the history) before anything else runs.
    history.replaceState(null, '', window.location.pathname);
    showAcceptInvite(invite[1]);
  } else if (existing) showGraphiQL(existing);
  else showLogin('');
})();
