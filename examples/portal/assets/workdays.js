// Working days as the API counts them: weekends and the catalog's
// holidays do not count.  Shared by the citizen portal (through
// common.js) and the officers' console (/console/, which imports this file
// from /assets/); it has no other dependency.

// Today's date, YYYY-MM-DD, in the catalog's time zone.
export function todayIn(tz) {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric',
        month: '2-digit', day: '2-digit' }).format(new Date());
}

function nextDay(d) {
    const x = new Date(d + 'T12:00:00Z');
    x.setUTCDate(x.getUTCDate() + 1);
    return x.toISOString().slice(0, 10);
}

export function isWorkingDay(d, holidays) {
    const wd = new Date(d + 'T12:00:00Z').getUTCDay();
    return wd !== 0 && wd !== 6 && !holidays.has(d);
}

// Working days from today to a deadline, as the API counts them: weekends
// and the catalog's holidays do not count.  {days, overdue}: days left
// counting today when it is a working day (0: the deadline is today), or
// with overdue the working days since the deadline's day.
export function workingDaysUntil(dueIso, cat) {
    const holidays = new Set((cat.holidays || []).map((h) => h.date));
    const due = dueIso.slice(0, 10);
    const today = todayIn(cat.time_zone);
    let n = 0;
    if (new Date(dueIso) < new Date()) {
        for (let d = nextDay(due); d <= today; d = nextDay(d)) {
            n += isWorkingDay(d, holidays) ? 1 : 0;
        }
        return { days: n, overdue: true };
    }
    for (let d = nextDay(today); d <= due; d = nextDay(d)) {
        n += isWorkingDay(d, holidays) ? 1 : 0;
    }
    return { days: n, overdue: false };
}
