/* core/belief.c: the reversal belief filter (see belief.h). */
#include <math.h>

#include "core/belief.h"

double belief_reversal_step(double b, int action, double reward, double win_above, double p_high,
                            double p_low, double hazard)
{
    if ((action == 0 || action == 1) && isfinite(reward)) {
        const int win = reward > win_above;
        const double p0 = action == 0 ? p_high : p_low;   /* P(reward | a) if arm 0 is good */
        const double p1 = action == 0 ? p_low : p_high;   /* ... if arm 1 is good */
        const double l0 = win ? p0 : 1.0 - p0, l1 = win ? p1 : 1.0 - p1;
        const double z = b * l0 + (1.0 - b) * l1;
        if (z > 0.0) b = b * l0 / z;   /* z = 0: an outcome impossible under both; keep b */
    }
    return b * (1.0 - hazard) + (1.0 - b) * hazard;
}
