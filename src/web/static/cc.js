// Cascade command centre: swaps in the live region pushed by the server (server-sent events),
// keeps open townships open across updates, shows a lost connection and reconnects.
(() => {
  'use strict'
  const applyFilters = () => {
    for (const input of document.querySelectorAll('input[data-filter]')) {
      const table = document.querySelector(input.dataset.filter)
      if (!table) continue
      const q = input.value.trim().toLowerCase()
      for (const tr of table.querySelectorAll('tbody tr')) tr.hidden = q !== '' && !tr.textContent.toLowerCase().includes(q)
    }
  }
  document.addEventListener('input', e => { if (e.target.matches && e.target.matches('input[data-filter]')) applyFilters() })

  const live = document.getElementById('live')
  const conn = document.getElementById('conn')
  if (!live || !live.dataset.view) return
  const view = live.dataset.view

  const swap = markup => {
    const open = new Set([...live.querySelectorAll('details[open][data-node]')].map(d => d.dataset.node))
    const filters = [...live.querySelectorAll('input[data-filter]')].map(i => [i.dataset.filter, i.value, i === document.activeElement])
    live.innerHTML = markup
    for (const d of live.querySelectorAll('details[data-node]')) if (open.has(d.dataset.node)) d.open = true
    for (const [sel, value, focused] of filters) {
      const i = [...live.querySelectorAll('input[data-filter]')].find(x => x.dataset.filter === sel)
      if (i) { i.value = value; if (focused) i.focus() }
    }
    applyFilters()
    live.dataset.updated = String(Date.now())
  }

  const setLost = lost => {
    if (conn) conn.hidden = !lost
    document.body.dataset.live = lost ? 'lost' : 'on'
  }

  let retry = 0
  const connect = () => {
    const es = new EventSource('/cc/live?view=' + encodeURIComponent(view))
    es.addEventListener('html', e => swap(JSON.parse(e.data).html))
    es.addEventListener('signed-out', () => { es.close(); location.href = '/cc/login' })
    es.onopen = () => { retry = 0; setLost(false) }
    es.onerror = () => {
      setLost(true)
      if (es.readyState !== EventSource.CLOSED) return // the browser reconnects by itself
      es.close()
      const again = () => setTimeout(connect, Math.min(5000, 500 * ++retry))
      fetch('/cc/whoami', { credentials: 'same-origin' })
        .then(r => { if (r.status === 401) location.href = '/cc/login'; else again() }, again)
    }
  }
  connect()
})()
