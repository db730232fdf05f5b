"""PPO in PyTorch on CartPole-v1, the peer of `npm run bench:ppo`.

Written for the benchmark: CleanRL's ppo.py structure (GAE, separate actor and critic MLPs with
orthogonal init, one Adam with eps 1e-5 over both, linear lr annealing, shuffled minibatches,
per-minibatch advantage normalization, clipped surrogate, entropy bonus, global gradient
clipping), with the hyperparameters passed on the command line as JSON (the same values as
policygrad's CartPole-v1 preset), on Gymnasium's CartPole-v1 equations written in numpy over all
sub-envs at once (no gymnasium import, so the env costs what policygrad's costs: a few array ops).
Truncated episodes are bootstrapped with V(final observation), as policygrad does.

Prints one JSON line: training steps/s (evaluation excluded), env steps and training seconds until
a deterministic evaluation (5 episodes, every `eval_every` updates) reaches 475, and the final
evaluation.

Usage: python3 ppo_torch.py '{"seed":0,"total_steps":50000,...}'
"""

import json
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)

# Gymnasium CartPole-v1 constants.
GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TOTAL_MASS = MASSCART + MASSPOLE
POLEMASS_LENGTH = MASSPOLE * LENGTH
THETA_LIMIT = 12 * 2 * np.pi / 360
X_LIMIT = 2.4
MAX_STEPS = 500


class VecCartPole:
    """N CartPoles stepped together (Euler, as Gymnasium's default), same-step autoreset."""

    def __init__(self, n, rng):
        self.n, self.rng = n, rng
        self.state = rng.uniform(-0.05, 0.05, (n, 4))
        self.t = np.zeros(n, dtype=np.int64)

    def step(self, action):
        x, x_dot, th, th_dot = self.state.T
        force = np.where(action == 1, FORCE_MAG, -FORCE_MAG)
        c, s = np.cos(th), np.sin(th)
        temp = (force + POLEMASS_LENGTH * th_dot**2 * s) / TOTAL_MASS
        th_acc = (GRAVITY * s - c * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * c**2 / TOTAL_MASS))
        x_acc = temp - POLEMASS_LENGTH * th_acc * c / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * x_acc
        th = th + TAU * th_dot
        th_dot = th_dot + TAU * th_acc
        self.state = np.stack([x, x_dot, th, th_dot], axis=1)
        self.t += 1
        terminated = (np.abs(x) > X_LIMIT) | (np.abs(th) > THETA_LIMIT)
        truncated = (self.t >= MAX_STEPS) & ~terminated
        final = self.state.copy()
        done = terminated | truncated
        k = int(done.sum())
        if k:
            self.state[done] = self.rng.uniform(-0.05, 0.05, (k, 4))
            self.t[done] = 0
        return self.state.copy(), np.ones(self.n), terminated, truncated, final


def mlp(sizes, out_gain):
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        last = i == len(sizes) - 2
        nn.init.orthogonal_(lin.weight, out_gain if last else np.sqrt(2))
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if not last:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def evaluate(actor, seed, episodes=5):
    env = VecCartPole(episodes, np.random.default_rng(seed))
    ret = np.zeros(episodes)
    alive = np.ones(episodes, dtype=bool)
    obs = env.state.copy()
    while alive.any():
        with torch.no_grad():
            a = actor(torch.as_tensor(obs, dtype=torch.float32)).argmax(1).numpy()
        obs, r, term, trunc, _ = env.step(a)
        ret += r * alive
        alive &= ~(term | trunc)
    return float(ret.mean())


def main():
    a = json.loads(sys.argv[1])
    seed, total = a["seed"], a["total_steps"]
    n, steps = a["num_envs"], a["rollout_steps"]
    epochs, n_mb = a["update_epochs"], a["num_minibatches"]
    gamma, lam, clip = a["gamma"], a["gae_lambda"], a["clip_coef"]
    ent_coef, vf_coef, max_norm, lr0 = a["entropy_coef"], a["value_coef"], a["max_grad_norm"], a["lr"]
    hidden = a["hidden_sizes"]
    threshold, eval_every = a.get("threshold", 475), a.get("eval_every", 10)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    actor = mlp([4, *hidden, 2], 0.01)
    critic = mlp([4, *hidden, 1], 1.0)
    opt = torch.optim.Adam(list(actor.parameters()) + list(critic.parameters()), lr=lr0, eps=1e-5)
    env = VecCartPole(n, rng)
    batch = n * steps
    mb = batch // n_mb
    obs_b = torch.zeros(steps, n, 4)
    act_b = torch.zeros(steps, n, dtype=torch.long)
    logp_b = torch.zeros(steps, n)
    rew_b = torch.zeros(steps, n)
    done_b = torch.zeros(steps, n)
    val_b = torch.zeros(steps, n)
    obs = torch.as_tensor(env.state, dtype=torch.float32)
    env_steps, train_s, hit_steps, hit_s, update = 0, 0.0, None, None, 0
    while env_steps < total:
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr0 * max(1 - env_steps / total, 1e-6)
        for t in range(steps):
            with torch.no_grad():
                logits = actor(obs)
                dist = torch.distributions.Categorical(logits=logits)
                action = dist.sample()
                val_b[t] = critic(obs).squeeze(1)
            obs_b[t], act_b[t], logp_b[t] = obs, action, dist.log_prob(action)
            nxt, r, term, trunc, final = env.step(action.numpy())
            r = r.copy()
            if trunc.any():
                with torch.no_grad():
                    r[trunc] += gamma * critic(torch.as_tensor(final[trunc], dtype=torch.float32)).squeeze(1).numpy()
            rew_b[t] = torch.as_tensor(r, dtype=torch.float32)
            done_b[t] = torch.as_tensor(term | trunc, dtype=torch.float32)
            obs = torch.as_tensor(nxt, dtype=torch.float32)
        with torch.no_grad():
            next_v = critic(obs).squeeze(1)
            adv = torch.zeros(steps, n)
            last = torch.zeros(n)
            for t in reversed(range(steps)):
                nv = next_v if t == steps - 1 else val_b[t + 1]
                nonterm = 1.0 - done_b[t]
                delta = rew_b[t] + gamma * nv * nonterm - val_b[t]
                last = delta + gamma * lam * nonterm * last
                adv[t] = last
            ret = adv + val_b
        b_obs, b_act, b_logp = obs_b.reshape(-1, 4), act_b.reshape(-1), logp_b.reshape(-1)
        b_adv, b_ret = adv.reshape(-1), ret.reshape(-1)
        for _ in range(epochs):
            perm = torch.randperm(batch)
            for k in range(n_mb):
                idx = perm[k * mb : (k + 1) * mb]
                dist = torch.distributions.Categorical(logits=actor(b_obs[idx]))
                logp = dist.log_prob(b_act[idx])
                ratio = (logp - b_logp[idx]).exp()
                a_mb = b_adv[idx]
                a_mb = (a_mb - a_mb.mean()) / (a_mb.std(unbiased=False) + 1e-8)
                pg = -torch.min(ratio * a_mb, ratio.clamp(1 - clip, 1 + clip) * a_mb).mean()
                v_loss = 0.5 * ((critic(b_obs[idx]).squeeze(1) - b_ret[idx]) ** 2).mean()
                loss = pg - ent_coef * dist.entropy().mean() + vf_coef * v_loss
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(list(actor.parameters()) + list(critic.parameters()), max_norm)
                opt.step()
        env_steps += batch
        update += 1
        train_s += time.perf_counter() - t0
        if hit_steps is None and update % eval_every == 0 and evaluate(actor, 99) >= threshold:
            hit_steps, hit_s = env_steps, train_s
    print(
        json.dumps(
            {
                "sps": env_steps / train_s,
                "steps": env_steps,
                "train_s": train_s,
                "steps_to_threshold": hit_steps,
                "s_to_threshold": hit_s,
                "final_eval": evaluate(actor, 123, 10),
            }
        )
    )


if __name__ == "__main__":
    main()
