# Reference values for measurand.latent, produced by R's psych, GPArotation and stats::factanal.
#
#   cd tests/reference && Rscript factor_fixtures.R
#
# Writes bfi.csv (psychTools::bfi, the 25 personality items, 2,800 rows, NA kept),
# holzinger_swineford_1939.csv (lavaan::HolzingerSwineford1939, 301 rows) and
# factor_reference.json (every number the tests in tests/latent/ compare against).
# The tests read only these files: CI needs no R.
suppressPackageStartupMessages({
  library(psych); library(GPArotation); library(jsonlite)
})

bfi <- psychTools::bfi[, 1:25]
hs_full <- lavaan::HolzingerSwineford1939
hs <- hs_full[, paste0("x", 1:9)]
write.csv(bfi, "bfi.csv", row.names = FALSE, na = "")
# 17 significant digits so that Python reads back the same doubles R used.
hs_out <- hs_full[, c("id", paste0("x", 1:9))]
for (v in paste0("x", 1:9)) hs_out[[v]] <- sprintf("%.17g", hs_out[[v]])
write.csv(hs_out, "holzinger_swineford_1939.csv", row.names = FALSE, quote = FALSE)

mat <- function(m) { m <- unclass(as.matrix(m)); dimnames(m) <- NULL; m }

# psych's own column conventions (psych:::fac): sign so that colSums(L) > 0, then order by
# diag(t(L) %*% L) (orthogonal) or diag(Phi %*% t(L) %*% L) (oblique), decreasing.
psych_orient <- function(L, Phi = NULL) {
  s <- sign(colSums(L)); s[s == 0] <- 1
  L <- L %*% diag(s)
  if (!is.null(Phi)) Phi <- diag(s) %*% Phi %*% diag(s)
  ev <- if (is.null(Phi)) diag(t(L) %*% L) else diag(Phi %*% t(L) %*% L)
  o <- order(ev, decreasing = TRUE)
  L <- L[, o]
  if (!is.null(Phi)) Phi <- Phi[o, o]
  list(loadings = L, Phi = Phi)
}

# psych::Promax with stats::varimax run to convergence (psych's fa calls stats::varimax with
# its default eps = 1e-5, a relative criterion change, which stops ~1e-3 short on bfi).
promax_converged <- function(x, m = 4) {
  xx <- stats::varimax(x, eps = 1e-15)
  x <- xx$loadings
  Q <- x * abs(x)^(m - 1)
  U <- lm.fit(x, Q)$coefficients
  d <- diag(solve(t(U) %*% U))
  U <- U %*% diag(sqrt(d))
  z <- x %*% U
  U <- xx$rotmat %*% U
  ui <- solve(U)
  list(loadings = mat(z), Phi = ui %*% t(ui))
}
kaiser_promax_converged <- function(f, m = 4) {
  h2 <- diag(f %*% t(f))
  r <- promax_converged(f / sqrt(h2), m)
  r$loadings <- r$loadings * sqrt(h2)
  r
}

fa_record <- function(f, n_score_rows) {
  out <- list(
    loadings = mat(f$loadings),
    Phi = if (is.null(f$Phi)) NULL else mat(f$Phi),
    uniquenesses = unname(f$uniquenesses),
    communality = unname(f$communality),
    objective = unname(f$objective),
    STATISTIC = unname(f$STATISTIC),
    dof = unname(f$dof),
    PVAL = unname(f$PVAL),
    RMSEA = unname(f$RMSEA),
    TLI = unname(f$TLI),
    BIC = unname(f$BIC),
    null_chisq = unname(f$null.chisq),
    null_dof = unname(f$null.dof),
    null_model = unname(f$null.model),
    n_obs = unname(f$n.obs),
    e_values = unname(f$e.values),
    values = unname(f$values),
    weights = mat(f$weights),
    scores = mat(f$scores[seq_len(n_score_rows), , drop = FALSE])
  )
  if (!is.null(f$rot.mat)) out$rot_mat <- mat(f$rot.mat)
  out
}

psych_rotations <- c("none", "varimax", "quartimax", "oblimin", "quartimin", "geominQ", "promax")
datasets <- list(bfi = list(x = bfi, k = 5, score_rows = 60),
                 hs = list(x = hs, k = 3, score_rows = nrow(hs)))

ref <- list(meta = list(
  R = R.version.string,
  psych = as.character(packageVersion("psych")),
  GPArotation = as.character(packageVersion("GPArotation")),
  lavaan = as.character(packageVersion("lavaan")),
  psychTools = as.character(packageVersion("psychTools")),
  calls = c(
    "fa(x, nfactors = k, fm = fm, rotate = rot)  # use = 'pairwise', psych defaults",
    "fa(x, k, fm = 'ml', rotate = rot, eps = 1e-7, maxit = 1e5)  # GPArotation criteria converged",
    "psych_orient(stats::varimax(L, eps = 1e-15)) / psych_orient(kaiser_promax_converged(L))",
    "factanal(na.omit(x), factors = k, rotation = rot)",
    "GPArotation::<method>(L, normalize = nz, eps = 1e-7, maxit = 1e5) with L the psych ML unrotated loadings",
    "fa.parallel(x, fa = 'both', SMC = TRUE, n.iter = 2, plot = FALSE)$pc.values / $fa.values; smc(cor(x, use='pairwise'))",
    "factor.scores(x, f, Phi, method = 'Bartlett')"
  )
))

ref$fa <- list(); ref$fa_converged <- list(); ref$factanal <- list()
ref$gparotation <- list(); ref$parallel <- list(); ref$bartlett <- list()
for (nm in names(datasets)) {
  d <- datasets[[nm]]; x <- d$x; k <- d$k
  ref$fa[[nm]] <- list(ml = list(), minres = list())
  for (rot in psych_rotations) {
    ref$fa[[nm]]$ml[[rot]] <- fa_record(fa(x, k, fm = "ml", rotate = rot), d$score_rows)
  }
  for (rot in c("none", "varimax", "oblimin")) {
    ref$fa[[nm]]$minres[[rot]] <- fa_record(fa(x, k, fm = "minres", rotate = rot), d$score_rows)
  }
  f0 <- fa(x, k, fm = "ml", rotate = "none")
  L0 <- mat(f0$loadings)
  conv <- list()
  for (rot in c("quartimax", "oblimin", "quartimin", "geominQ")) {
    g <- suppressWarnings(fa(x, k, fm = "ml", rotate = rot, eps = 1e-7, maxit = 1e5))
    conv[[rot]] <- list(loadings = mat(g$loadings), Phi = if (is.null(g$Phi)) NULL else mat(g$Phi))
  }
  conv$varimax <- psych_orient(mat(stats::varimax(L0, eps = 1e-15)$loadings))
  kp <- kaiser_promax_converged(L0)
  conv$promax <- psych_orient(kp$loadings, kp$Phi)
  fm0 <- fa(x, k, fm = "minres", rotate = "none")
  conv$minres_varimax <- psych_orient(mat(stats::varimax(mat(fm0$loadings), eps = 1e-15)$loadings))
  ref$fa_converged[[nm]] <- conv

  # Bartlett scores for the oblimin ML solution.
  fo <- fa(x, k, fm = "ml", rotate = "oblimin")
  bs <- factor.scores(x, fo$loadings, Phi = fo$Phi, method = "Bartlett")
  ref$bartlett[[nm]] <- list(weights = mat(bs$weights),
                             scores = mat(bs$scores[seq_len(d$score_rows), , drop = FALSE]))

  xc <- na.omit(x)
  fl <- list()
  for (rot in c("none", "varimax", "promax")) {
    fx <- factanal(xc, factors = k, rotation = rot)
    fl[[rot]] <- list(loadings = mat(fx$loadings), uniquenesses = unname(fx$uniquenesses),
                      STATISTIC = unname(fx$STATISTIC), dof = unname(fx$dof),
                      PVAL = unname(fx$PVAL), objective = unname(fx$criteria["objective"]),
                      n_obs = unname(fx$n.obs))
  }
  ref$factanal[[nm]] <- fl

  gp <- list(input = L0)
  for (m in c("Varimax", "quartimax", "oblimin", "quartimin", "geominQ")) {
    for (nz in c(FALSE, TRUE)) {
      r <- suppressWarnings(do.call(m, list(L0, normalize = nz, eps = 1e-7, maxit = 1e5)))
      key <- paste0(m, if (nz) "_kaiser" else "_raw")
      gp[[key]] <- list(loadings = mat(r$loadings), Phi = if (is.null(r$Phi)) NULL else mat(r$Phi),
                        Th = mat(r$Th), f = tail(r$Table[, 2], 1))
    }
  }
  gp$oblimin_gam05_raw <- local({
    r <- suppressWarnings(oblimin(L0, gam = 0.5, eps = 1e-7, maxit = 1e5))
    list(loadings = mat(r$loadings), Phi = mat(r$Phi), f = tail(r$Table[, 2], 1))
  })
  gp$geominQ_delta001_default_eps <- local({
    r <- geominQ(L0)
    list(loadings = mat(r$loadings), Phi = mat(r$Phi), f = tail(r$Table[, 2], 1))
  })
  pm <- promax_converged(L0)
  gp$promax_stats <- list(loadings = pm$loadings, Phi = pm$Phi)
  gp$promax_kaiser <- kaiser_promax_converged(L0)
  ref$gparotation[[nm]] <- gp

  rx <- cor(x, use = "pairwise")
  pa <- fa.parallel(x, fa = "both", SMC = TRUE, n.iter = 2, plot = FALSE)
  ref$parallel[[nm]] <- list(pc_values = pa$pc.values, fa_values = pa$fa.values,
                             smc = unname(smc(rx)), eigen = eigen(rx)$values)
}

# A correlation matrix with n.obs instead of data (issue 9.15): Harman's eight physical measures
# of 305 girls (R datasets::Harman23.cor, a covariance-free correlation matrix), as published in
# Harman (1976) Modern Factor Analysis, Table 2.3.
harman <- datasets::Harman23.cor
ref$harman23 <- list(correlation = mat(harman$cov), n_obs = harman$n.obs,
                     names = colnames(harman$cov), fa = list())
for (fm in c("ml", "minres")) {
  for (rot in c("none", "varimax", "oblimin")) {
    f <- fa(harman$cov, nfactors = 2, n.obs = harman$n.obs, fm = fm, rotate = rot)
    ref$harman23$fa[[paste0(fm, "_", rot)]] <- list(
      loadings = mat(f$loadings), Phi = if (is.null(f$Phi)) NULL else mat(f$Phi),
      uniquenesses = unname(f$uniquenesses), STATISTIC = unname(f$STATISTIC),
      dof = unname(f$dof), PVAL = unname(f$PVAL), RMSEA = unname(f$RMSEA),
      TLI = unname(f$TLI), BIC = unname(f$BIC), objective = unname(f$objective))
  }
}
# psych's fa stops stats::varimax at eps = 1e-5 (~8e-3 short here): the converged rotation too.
for (fm in c("ml", "minres")) {
  f0 <- fa(harman$cov, nfactors = 2, n.obs = harman$n.obs, fm = fm, rotate = "none")
  ref$harman23$fa[[paste0(fm, "_varimax_converged")]] <-
    psych_orient(mat(stats::varimax(mat(f0$loadings), eps = 1e-15)$loadings))
}
fh <- factanal(covmat = harman$cov, factors = 2, n.obs = harman$n.obs, rotation = "none")
ref$harman23$factanal <- list(loadings = mat(fh$loadings),
                              uniquenesses = unname(fh$uniquenesses),
                              STATISTIC = unname(fh$STATISTIC), PVAL = unname(fh$PVAL))

# psych's default parallel analysis (issue 9.16): fa.parallel(x) with SMC = FALSE compares the
# $values of a one-factor minres solution, fa(r, 1, fm = "minres")$values; on bfi it suggests
# 6 factors and 6 components (SMC = TRUE suggests 8 factors). The random part is R's RNG, so
# the tests compare the observed values exactly and the random means within Monte Carlo error.
set.seed(20261206)
pa_default <- fa.parallel(bfi, plot = FALSE)
set.seed(20261206)
pa_sim <- fa.parallel(bfi, plot = FALSE, n.iter = 100)
ref$parallel_default <- list(bfi = list(
  call = "fa.parallel(bfi, plot = FALSE)  # fm = 'minres', fa = 'both', SMC = FALSE, n.iter = 20",
  fa_values = pa_default$fa.values, pc_values = pa_default$pc.values,
  nfact = pa_default$nfact, ncomp = pa_default$ncomp,
  n_iter_sim = 100, fa_sim_mean = pa_sim$fa.sim, pc_sim_mean = pa_sim$pc.sim,
  smc_nfact = fa.parallel(bfi, plot = FALSE, SMC = TRUE)$nfact))

write_json(ref, "factor_reference.json", digits = NA, auto_unbox = TRUE, null = "null",
           na = "null", pretty = FALSE)
cat("wrote factor_reference.json\n")
